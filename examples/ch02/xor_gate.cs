#:project ../../src/DeepScratch/DeepScratch.csproj
// Book: ch02/xor_gate.py — XOR is not linearly separable, so one perceptron cannot do it; two layers can:
// NAND and OR in the first layer, AND of their outputs in the second.
// Run:  dotnet run examples/ch02/xor_gate.cs
// Prints one line per input pair, e.g. "(1, 0) -> 1".
using DeepScratch.Data;
using DeepScratch.Models;

var run = ChapterScript.Start(args);

foreach (var xs in new[] { (0, 0), (1, 0), (0, 1), (1, 1) })
{
    int y = XOR(xs.Item1, xs.Item2);
    Console.WriteLine($"{xs} -> {y}");
}

static int XOR(int x1, int x2)
{
    int s1 = LogicGates.Nand(x1, x2);
    int s2 = LogicGates.Or(x1, x2);
    return LogicGates.And(s1, s2);
}
