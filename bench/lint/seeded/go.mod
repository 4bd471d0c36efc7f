module seeded

go 1.21
