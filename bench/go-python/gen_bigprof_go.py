"""Writes main.go of `bigprof`, a generator of large Go heap profiles (MemProfileRate=1).

From research/sample-programs/go/gen_main_go.py. Usage (see gen.sh):
    python3 gen_bigprof_go.py > DIR/main.go && printf 'module bigprof\n\ngo 1.19\n' > DIR/go.mod
    (cd DIR && go build -trimpath -o bigprof .) && DIR/bigprof 14 200000 2 b.pb.gz
Args: depthMax n reps out.  256 functions, 4 call sites each, so n distinct k give ~n stacks.
"""
N = 256
out = ["package main", "", 'import (\n\t"os"\n\t"runtime"\n\t"runtime/pprof"\n\t"strconv"\n)', "",
       "var sink [][]byte", "var depthMax int", "",
       "type fn func(k, d int)", f"var table [{N}]fn"]
for i in range(N):
    out.append(f"//go:noinline\nfunc f{i}(k, d int) {{\n\tif d == depthMax {{\n\t\tsink = append(sink, make([]byte, 64+{i%8}*16))\n\t\treturn\n\t}}\n"
               f"\tswitch (k >> (2 * d)) & 3 {{\n\tcase 0:\n\t\tf{(i*7+1)%N}(k, d+1)\n\tcase 1:\n\t\tf{(i*13+3)%N}(k, d+1)\n"
               f"\tcase 2:\n\t\tf{(i*17+5)%N}(k, d+1)\n\tdefault:\n\t\tf{(i*19+11)%N}(k, d+1)\n\t}}\n}}")
out.append("""
func main() {
	runtime.MemProfileRate = 1
	depthMax, _ = strconv.Atoi(os.Args[1])
	n, _ := strconv.Atoi(os.Args[2])
	reps, _ := strconv.Atoi(os.Args[3])
	for r := 0; r < reps; r++ {
		for k := 0; k < n; k++ {
			f0(k, 0)
		}
	}
	runtime.GC()
	out, _ := os.Create(os.Args[4])
	pprof.Lookup("heap").WriteTo(out, 0)
	out.Close()
}""")
print("\n".join(out))
