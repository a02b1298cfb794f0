#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// ci: --dataset mnist
// ci: --dataset mnist --quick
// The book's ch08/misclassified_mnist.py: evaluates DeepConvNet with the book's trained deep_convnet_params.pkl on the
// MNIST test set, 100 images a batch, prints the accuracy and draws the first 20 images it gets wrong (figure 8-6).
// Run: dotnet run examples/ch08/misclassified_mnist.cs   (--quick: the first 1,000 test images)
// Prints "test accuracy:..." and writes ch08-misclassified_mnist.png
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Serialization;
using ScottPlot;

var run = ChapterScript.Start(args);

// Only the test set is needed
var (xTest, tTest) = Mnist.Load(DatasetSplit.Test, flatten: false, store: run.Store, kind: run.Dataset);

var network = new DeepConvNet();
network.LoadParameters(NumpyPickle.LoadTensors(run.Store.Ensure(Catalog.DeepConvNetParams)));

Console.WriteLine("calculating test accuracy ... ");
if (run.Quick)
{
    int sampled = 1000;
    xTest = xTest.Rows(0, sampled);
    tTest = tTest.Rows(0, sampled);
}

var classifiedIds = new List<int>();

double acc = 0.0;
int batchSize = 100;

for (int i = 0; i < xTest.Dim(0) / batchSize; i++)
{
    var tx = xTest.Rows(i * batchSize, batchSize);
    var tt = tTest.Rows(i * batchSize, batchSize);
    int[] y = network.Predict(tx).ArgMaxLastAxis();
    classifiedIds.AddRange(y);
    acc += y.Where((k, j) => k == (int)tt[j]).Count();
}

acc /= xTest.Dim(0);
Console.WriteLine("test accuracy:" + acc);

int maxView = 20;
int currentView = 1;

var figure = new Multiplot();
figure.AddPlots(maxView);
figure.Layout = new ScottPlot.MultiplotLayouts.Grid(rows: 4, columns: 5);

var misPairs = new Dictionary<int, (int Label, int Inference)>();
for (int i = 0; i < classifiedIds.Count; i++)
{
    if (classifiedIds[i] != (int)tTest[i])
    {
        var ax = figure.GetPlot(currentView - 1);
        var image = new double[28, 28];
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                image[y, x] = xTest[i, 0, y, x];
            }
        }

        ax.Add.Heatmap(image).Colormap = new ScottPlot.Colormaps.GrayscaleReversed();
        ax.Axes.Frameless();
        ax.HideGrid();
        ax.Title($"{currentView}: label {(int)tTest[i]}, inferred {classifiedIds[i]}", size: 11);
        misPairs[currentView] = ((int)tTest[i], classifiedIds[i]);

        currentView++;
        if (currentView > maxView)
        {
            break;
        }
    }
}

Console.WriteLine("======= misclassified result =======");
Console.WriteLine("{view index: (label, inference), ...}");
Console.WriteLine("{" + string.Join(", ", misPairs.Select(p => $"{p.Key}: ({p.Value.Label}, {p.Value.Inference})")) + "}");

const string file = "ch08-misclassified_mnist.png";
figure.SavePng(file, 5 * 160, 4 * 180);
Console.WriteLine(file);
