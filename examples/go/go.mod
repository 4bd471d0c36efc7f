module leakscope.invalid/examples

go 1.19
