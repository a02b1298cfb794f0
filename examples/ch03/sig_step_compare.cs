#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// Book: ch03/sig_step_compare.py — the sigmoid (solid) and the step function (dashed) on one plot (figure 3-8):
// both map to [0, 1], but only the sigmoid is smooth.
// Run:  dotnet run examples/ch03/sig_step_compare.cs
// Writes ch03-sig_step_compare.png into the current folder and prints its name.
using DeepScratch.Data;
using DeepScratch.Functions;
using DeepScratch.Tensors;
using ScottPlot;

var run = ChapterScript.Start(args);

var x = Tensor.FromValues(Enumerable.Range(0, 100).Select(i => -5.0f + 0.1f * i).ToArray()); // np.arange(-5.0, 5.0, 0.1)
var y1 = Activations.Sigmoid(x);
var y2 = Activations.Step(x);

var plt = new Plot();
var sigmoid = plt.Add.ScatterLine(x.ToArray(), y1.ToArray());
sigmoid.LegendText = "sigmoid";
var step = plt.Add.ScatterLine(x.ToArray(), y2.ToArray(), Colors.Black);
step.LinePattern = LinePattern.Dashed; // the book's 'k--'
step.LegendText = "step function";
plt.Axes.SetLimitsY(-0.1, 1.1);
plt.Title("sigmoid and step function");
plt.XLabel("x");
plt.YLabel("y");
plt.ShowLegend(Alignment.LowerRight);
const string file = "ch03-sig_step_compare.png";
plt.SavePng(file, 640, 480);
Console.WriteLine(file);
