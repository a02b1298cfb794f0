#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// ci: --dataset fashion-mnist --quick
// The book's ch06/weight_init_compare.py: trains three 784-100-100-100-100-10 ReLU networks whose initial weights
// have std 0.01, Xavier's √(1/n) and He's √(2/n), with SGD (lr 0.01) on the same 2,000 minibatches of 128.
// Run: dotnet run examples/ch06/weight_init_compare.cs   (--quick: 101 iterations)   Writes ch06-weight_init_compare.png
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Tensors;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;
using ScottPlot;

var run = ChapterScript.Start(args);

// 0: Load the MNIST data ==========
var ((xTrain, tTrain), (xTest, tTest)) = Mnist.Load(normalize: true, store: run.Store, kind: run.Dataset);

int trainSize = xTrain.Dim(0);
int batchSize = 128;
int maxIterations = run.Pick(2000, 101);

// 1: The experiment's settings ==========
var weightInitTypes = new Dictionary<string, string> { ["std=0.01"] = "0.01", ["Xavier"] = "xavier", ["He"] = "he" };
var optimizer = new Sgd(learningRate: 0.01);

var networks = new Dictionary<string, MultiLayerNet>();
var trainLoss = new Dictionary<string, List<double>>();
foreach (var (key, weightType) in weightInitTypes)
{
    networks[key] = new MultiLayerNet(inputSize: 784, hiddenSizes: [100, 100, 100, 100], outputSize: 10, weightInit: weightType);
    trainLoss[key] = [];
}

// 2: Start training ==========
var random = new Random(0);
for (int i = 0; i < maxIterations; i++)
{
    int[] batchMask = MiniBatch.RandomChoice(random, trainSize, batchSize);
    var xBatch = xTrain.TakeRows(batchMask);
    var tBatch = tTrain.TakeRows(batchMask);

    foreach (var key in weightInitTypes.Keys)
    {
        networks[key].Gradient(xBatch, tBatch);
        optimizer.Update(networks[key].Parameters);

        double loss = networks[key].Loss(xBatch, tBatch, train: false);
        trainLoss[key].Add(loss);
    }

    if (i % 100 == 0)
    {
        Console.WriteLine("===========" + "iteration:" + i + "===========");
        foreach (var key in weightInitTypes.Keys)
        {
            double loss = networks[key].Loss(xBatch, tBatch, train: false);
            Console.WriteLine(key + ":" + loss);
        }
    }
}

// 3: Draw the graph ==========
// Raw minibatch losses: the book smooths them with common/util.smooth_curve, which the library does not have.
var plot = new Plot();
double[] x = Enumerable.Range(0, maxIterations).Select(i => (double)i).ToArray();
foreach (var key in weightInitTypes.Keys)
{
    var line = plot.Add.ScatterLine(x, trainLoss[key].ToArray());
    line.LegendText = key;
    line.LineWidth = 1;
}

plot.Title("Initial weights on " + Catalog.DisplayName(run.Dataset));
plot.XLabel("iterations");
plot.YLabel("loss");
plot.Axes.SetLimits(0, maxIterations, 0, 2.5);
plot.ShowLegend(Alignment.UpperRight);
const string file = "ch06-weight_init_compare.png";
plot.SavePng(file, 800, 600);
Console.WriteLine(file);
