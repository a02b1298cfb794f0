#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// Book: ch03/relu.py — plots the ReLU y = max(0, x) on -5 <= x < 5 (figure 3-9).
// Run:  dotnet run examples/ch03/relu.cs
// Writes ch03-relu.png into the current folder and prints its name.
using DeepScratch.Data;
using DeepScratch.Functions;
using DeepScratch.Tensors;
using ScottPlot;

var run = ChapterScript.Start(args);

var x = Tensor.FromValues(Enumerable.Range(0, 100).Select(i => -5.0f + 0.1f * i).ToArray()); // np.arange(-5.0, 5.0, 0.1)
var y = Activations.Relu(x);

var plt = new Plot();
plt.Add.ScatterLine(x.ToArray(), y.ToArray());
plt.Axes.SetLimitsY(-1.0, 5.5);
plt.Title("ReLU function");
plt.XLabel("x");
plt.YLabel("y");
const string file = "ch03-relu.png";
plt.SavePng(file, 640, 480);
Console.WriteLine(file);
