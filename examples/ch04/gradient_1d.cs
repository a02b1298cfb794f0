#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// Book: ch04/gradient_1d.py — the numerical derivative of f(x) = 0.01x² + 0.1x at x = 5 (the exact value is 0.2),
// and the plot of f on 0 <= x < 20 with its tangent line at x = 5 (figure 4-7).
// Run:  dotnet run examples/ch04/gradient_1d.cs
// Prints the slope (about 0.2), then writes ch04-gradient_1d.png into the current folder and prints its name.
using DeepScratch.Data;
using DeepScratch.Tensors;
using DeepScratch.Training;
using ScottPlot;

var run = ChapterScript.Start(args);

double[] x = Enumerable.Range(0, 200).Select(i => 0.1 * i).ToArray(); // np.arange(0.0, 20.0, 0.1)
double[] y = x.Select(Function1).ToArray();

var plt = new Plot();
plt.XLabel("x");
plt.YLabel("f(x)");

var tf = TangentLine(Function1, 5);
double[] y2 = x.Select(tf).ToArray();

var curve = plt.Add.ScatterLine(x, y);
curve.LegendText = "f(x) = 0.01x² + 0.1x";
var tangent = plt.Add.ScatterLine(x, y2);
tangent.LegendText = "tangent at x = 5";
plt.Title("numerical differentiation");
plt.ShowLegend(Alignment.UpperLeft);
const string file = "ch04-gradient_1d.png";
plt.SavePng(file, 640, 480);
Console.WriteLine(file);

// The book's numerical_diff, central difference (f(x+h) - f(x-h)) / 2h with h = 1e-4, is the library's
// NumericalGradient on a tensor of one element.
static double NumericalDiff(Func<double, double> f, double x)
{
    var point = Tensor.FromValues((float)x);
    return NumericalGradient.Compute(() => f(point[0]), point, h: 1e-4)[0];
}

static double Function1(double x) => 0.01 * x * x + 0.1 * x;

// The line through (x, f(x)) with the numerical slope there; prints the slope as the book does.
static Func<double, double> TangentLine(Func<double, double> f, double x)
{
    double d = NumericalDiff(f, x);
    Console.WriteLine(d);
    double y = f(x) - d * x;
    return t => d * t + y;
}
