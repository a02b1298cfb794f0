#:project ../../src/DeepScratch/DeepScratch.csproj
// Book: ch02/and_gate.py — the AND gate as a perceptron (w = 0.5, 0.5; b = -0.7), printed as a truth table.
// Run:  dotnet run examples/ch02/and_gate.cs
// Prints one line per input pair, e.g. "(1, 1) -> 1".
using DeepScratch.Data;
using DeepScratch.Models;

var run = ChapterScript.Start(args);

foreach (var xs in new[] { (0, 0), (1, 0), (0, 1), (1, 1) })
{
    int y = LogicGates.And(xs.Item1, xs.Item2);
    Console.WriteLine($"{xs} -> {y}");
}
