#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// Book: ch04/gradient_2d.py — the gradient of f(x0, x1) = x0² + x1² at every point of a grid on [-2, 2]², drawn as
// arrows pointing along the NEGATIVE gradient (figure 4-9): they all point towards the minimum at the origin.
// Run:  dotnet run examples/ch04/gradient_2d.cs
// Writes ch04-gradient_2d.png into the current folder and prints its name.
using DeepScratch.Data;
using DeepScratch.Tensors;
using DeepScratch.Training;
using ScottPlot;

var run = ChapterScript.Start(args);

float[] x0 = Arange(-2, 2.5f, 0.25f);
float[] x1 = Arange(-2, 2.5f, 0.25f);

// np.meshgrid + flatten, then the gradient at each point (x0, x1), one row each.
var X = new List<float>();
var Y = new List<float>();
foreach (float b in x1)
{
    foreach (float a in x0)
    {
        X.Add(a);
        Y.Add(b);
    }
}

var grad = new List<Tensor>();
for (int i = 0; i < X.Count; i++)
{
    var x = Tensor.FromValues(X[i], Y[i]);
    grad.Add(NumericalGradient.Compute(() => Function2(x), x));
}

// plt.quiver(X, Y, -grad[0], -grad[1]): arrows from each point along the negative gradient. ScottPlot 5.1 draws a
// vector's y component downwards (ScottPlot issue #5172), so it is given -(-grad[1]) to point the way the book's does.
var plt = new Plot();
var arrows = Enumerable.Range(0, X.Count)
    .Select(i => new RootedCoordinateVector(new Coordinates(X[i], Y[i]), new System.Numerics.Vector2(-grad[i][0], grad[i][1])))
    .ToList();
var field = plt.Add.VectorField(arrows);
field.ArrowAnchor = ArrowAnchor.Tail; // quiver's default: the arrow starts at its point
field.ArrowLineColor = Color.FromHex("#666666"); // the book's colour
field.ArrowFillColor = Color.FromHex("#666666");
plt.Axes.SetLimits(-2, 2, -2, 2);
plt.Title("-gradient of f(x0, x1) = x0² + x1²");
plt.XLabel("x0");
plt.YLabel("x1");
const string file = "ch04-gradient_2d.png";
plt.SavePng(file, 640, 640);
Console.WriteLine(file);

// function_2: the sum of the squares of the point's coordinates.
static double Function2(Tensor x) => x.ToArray().Sum(v => (double)v * v);

static float[] Arange(float start, float stop, float step) =>
    Enumerable.Range(0, (int)Math.Ceiling((stop - start) / step)).Select(i => start + i * step).ToArray();
