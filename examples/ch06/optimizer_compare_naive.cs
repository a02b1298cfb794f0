#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// The book's ch06/optimizer_compare_naive.py: 30 steps of SGD, Momentum, AdaGrad and Adam on f(x, y) = x²/20 + y²
// from (-7, 2), drawn over the function's contour lines (the book's figure 6-8).
// Run: dotnet run examples/ch06/optimizer_compare_naive.cs      Writes ch06-optimizer_compare_naive.png
using DeepScratch.Data;
using DeepScratch.Layers;
using DeepScratch.Tensors;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;
using ScottPlot;

var run = ChapterScript.Start(args);

(double X, double Y) initPos = (-7.0, 2.0);
var paramsX = new Parameter("x", Tensor.Zeros(1));
var paramsY = new Parameter("y", Tensor.Zeros(1));
Parameter[] @params = [paramsX, paramsY];

var optimizers = new Dictionary<string, IOptimizer>
{
    ["SGD"] = new Sgd(learningRate: 0.95),
    ["Momentum"] = new Momentum(learningRate: 0.1),
    ["AdaGrad"] = new AdaGrad(learningRate: 1.5),
    ["Adam"] = new Adam(learningRate: 0.3),
};

var multiplot = new Multiplot();
multiplot.AddPlots(optimizers.Count);
multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows: 2, columns: 2);
int idx = 0;

foreach (var (key, optimizer) in optimizers)
{
    var xHistory = new List<double>();
    var yHistory = new List<double>();
    paramsX.Value.Span[0] = (float)initPos.X;
    paramsY.Value.Span[0] = (float)initPos.Y;

    for (int i = 0; i < 30; i++)
    {
        xHistory.Add(paramsX.Value.Span[0]);
        yHistory.Add(paramsY.Value.Span[0]);

        var (dx, dy) = Df(paramsX.Value.Span[0], paramsY.Value.Span[0]);
        paramsX.Grad.Span[0] = (float)dx;
        paramsY.Grad.Span[0] = (float)dy;
        optimizer.Update(@params);
    }

    // The contour lines of f are the ellipses x²/20 + y² = z (the book masks f above 7 for simple contours).
    var plot = multiplot.GetPlot(idx++);
    foreach (double z in new[] { 0.25, 0.5, 1, 2, 3, 4, 5, 6, 7 })
    {
        var ellipse = plot.Add.Ellipse(0, 0, Math.Sqrt(20 * z), Math.Sqrt(z));
        ellipse.LineColor = Colors.Gray.WithAlpha(0.6);
    }

    var path = plot.Add.Scatter(xHistory.ToArray(), yHistory.ToArray(), Colors.Red);
    path.MarkerShape = MarkerShape.FilledCircle;
    plot.Add.Marker(0, 0, MarkerShape.Cross, size: 12, Colors.Black);
    plot.Axes.SetLimits(-10, 10, -10, 10);
    plot.Title(key);
    plot.XLabel("x");
    plot.YLabel("y");
    Console.WriteLine($"{key}: last point ({xHistory[^1]:0.####}, {yHistory[^1]:0.####}), f = {F(xHistory[^1], yHistory[^1]):0.######}");
}

const string file = "ch06-optimizer_compare_naive.png";
multiplot.SavePng(file, 1000, 900);
Console.WriteLine(file);

static double F(double x, double y) => x * x / 20.0 + y * y;

static (double Dx, double Dy) Df(double x, double y) => (x / 10.0, 2.0 * y);
