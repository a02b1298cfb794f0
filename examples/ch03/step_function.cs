#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// Book: ch03/step_function.py — plots the step function y = (x > 0) on -5 <= x < 5 (figure 3-6).
// Run:  dotnet run examples/ch03/step_function.cs
// Writes ch03-step_function.png into the current folder and prints its name.
using DeepScratch.Data;
using DeepScratch.Functions;
using DeepScratch.Tensors;
using ScottPlot;

var run = ChapterScript.Start(args);

var X = Tensor.FromValues(Enumerable.Range(0, 100).Select(i => -5.0f + 0.1f * i).ToArray()); // np.arange(-5.0, 5.0, 0.1)
var Y = Activations.Step(X);

var plt = new Plot();
plt.Add.ScatterLine(X.ToArray(), Y.ToArray());
plt.Axes.SetLimitsY(-0.1, 1.1); // the y range the figure shows
plt.Title("step function");
plt.XLabel("x");
plt.YLabel("y");
const string file = "ch03-step_function.png";
plt.SavePng(file, 640, 480);
Console.WriteLine(file);
