#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// Book: ch04/gradient_method.py — gradient descent on f(x0, x1) = x0² + x1² from (-3, 4), learning rate 0.1, 20 steps,
// plotting every point visited on the way to the minimum at the origin (figure 4-10).
// Run:  dotnet run examples/ch04/gradient_method.cs
// Prints the final point (each step multiplies x by 1 - 2·0.1, so about (-0.0346, 0.0461)), then writes
// ch04-gradient_method.png into the current folder and prints its name.
using DeepScratch.Data;
using DeepScratch.Tensors;
using DeepScratch.Training;
using ScottPlot;

var run = ChapterScript.Start(args);

var initX = Tensor.FromValues(-3.0f, 4.0f);

double lr = 0.1;
int stepNum = 20;
var (x, xHistory) = GradientDescent(Function2, initX, lr: lr, stepNum: stepNum);
Console.WriteLine($"x = [{x[0]}, {x[1]}]");

var plt = new Plot();
var axis0 = plt.Add.Line(-5, 0, 5, 0); // the '--b' axes through the minimum
var axis1 = plt.Add.Line(0, -5, 0, 5);
foreach (var line in new[] { axis0, axis1 })
{
    line.LinePattern = LinePattern.Dashed;
    line.Color = Colors.Blue;
}

var path = plt.Add.ScatterPoints(xHistory.Select(p => (double)p[0]).ToArray(), xHistory.Select(p => (double)p[1]).ToArray());
path.LegendText = "x at each step";
plt.Axes.SetLimits(-3.5, 3.5, -4.5, 4.5);
plt.Title($"gradient descent on x0² + x1² (lr = {lr}, {stepNum} steps)");
plt.XLabel("X0");
plt.YLabel("X1");
plt.ShowLegend(Alignment.UpperRight);
const string file = "ch04-gradient_method.png";
plt.SavePng(file, 640, 640);
Console.WriteLine(file);

// The book's gradient_descent: step_num times x -= lr * numerical_gradient(f, x), remembering each x before its step.
static (Tensor X, List<Tensor> XHistory) GradientDescent(Func<Tensor, double> f, Tensor initX, double lr = 0.01, int stepNum = 100)
{
    var x = initX;
    var xHistory = new List<Tensor>();

    for (int i = 0; i < stepNum; i++)
    {
        xHistory.Add(x.Clone());

        var grad = NumericalGradient.Compute(() => f(x), x);
        x = x - grad * (float)lr;
    }

    return (x, xHistory);
}

static double Function2(Tensor x) => (double)x[0] * x[0] + (double)x[1] * x[1];
