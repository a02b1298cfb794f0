#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// ci: --dataset fashion-mnist --quick
// The book's ch06/hyperparameter_optimization.py: random search over the learning rate (10^-6..10^-2) and the weight
// decay (10^-8..10^-4), 100 trials of 50 epochs on 400 images, judged on 100 validation images; prints every trial and
// the best 20 (figure 6-24). Run: dotnet run examples/ch06/hyperparameter_optimization.cs   (--quick: 4 trials of 25 epochs)
// Writes ch06-hyperparameter_optimization.png
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Tensors;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;
using ScottPlot;

var run = ChapterScript.Start(args);

var ((xTrain, tTrain), (xTest, tTest)) = Mnist.Load(normalize: true, store: run.Store, kind: run.Dataset);

// Fewer training images, for speed
xTrain = xTrain.Rows(0, 500);
tTrain = tTrain.Rows(0, 500);

// Split off the validation data
double validationRate = 0.20;
int validationNum = (int)(xTrain.Dim(0) * validationRate);
var random = new Random(0);
(xTrain, tTrain) = ShuffleDataset(random, xTrain, tTrain);
var xVal = xTrain.Rows(0, validationNum);
var tVal = tTrain.Rows(0, validationNum);
xTrain = xTrain.Rows(validationNum, xTrain.Dim(0) - validationNum);
tTrain = tTrain.Rows(validationNum, tTrain.Dim(0) - validationNum);

(List<double> ValAccList, List<double> TrainAccList) Train(double lr, double weightDecay, int epocs)
{
    var network = new MultiLayerNet(inputSize: 784, hiddenSizes: [100, 100, 100, 100, 100, 100], outputSize: 10,
        weightDecayLambda: weightDecay);
    var trainer = new Trainer(network, new Sgd(lr), new TrainerOptions(BatchSize: 100, Epochs: epocs, EvaluationSample: 0));
    var history = trainer.Fit(xTrain, tTrain, xVal, tVal);
    return (history.TestAccuracy, history.TrainAccuracy);
}

// Random search of the hyperparameters ======================================
int optimizationTrial = run.Pick(100, 4);
int epochs = run.Pick(50, 25);
var resultsVal = new Dictionary<string, List<double>>();
var resultsTrain = new Dictionary<string, List<double>>();
for (int trial = 0; trial < optimizationTrial; trial++)
{
    // The ranges searched ===============
    double weightDecay = Math.Pow(10, Uniform(random, -8, -4));
    double lr = Math.Pow(10, Uniform(random, -6, -2));
    // ================================================

    string key = "lr:" + lr + ", weight decay:" + weightDecay;
    try
    {
        var (valAccList, trainAccList) = Train(lr, weightDecay, epochs);
        Console.WriteLine("val acc:" + valAccList[^1] + " | " + key);
        resultsVal[key] = valAccList;
        resultsTrain[key] = trainAccList;
    }
    catch (TrainingDivergedException e)
    {
        // The library stops a diverged run; the search goes on without it.
        Console.WriteLine("diverged | " + key + " (" + e.Message + ")");
    }
}

// Draw the graph ========================================================
Console.WriteLine("=========== Hyper-Parameter Optimization Result ===========");
int graphDrawNum = Math.Min(20, resultsVal.Count);
int colNum = 5;
int rowNum = (int)Math.Ceiling(graphDrawNum / (double)colNum);
var multiplot = new Multiplot();
multiplot.AddPlots(graphDrawNum);
multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows: rowNum, columns: colNum);
int i = 0;

foreach (var (key, valAccList) in resultsVal.OrderByDescending(r => r.Value[^1]))
{
    Console.WriteLine("Best-" + (i + 1) + "(val acc:" + valAccList[^1] + ") | " + key);

    var plot = multiplot.GetPlot(i);
    plot.Title("Best-" + (i + 1));
    double[] x = Enumerable.Range(1, valAccList.Count).Select(e => (double)e).ToArray();
    var val = plot.Add.ScatterLine(x, valAccList.ToArray());
    var train = plot.Add.ScatterLine(x, resultsTrain[key].ToArray());
    train.LinePattern = LinePattern.Dashed;
    if (i == 0)
    {
        val.LegendText = "validation";
        train.LegendText = "train";
        plot.ShowLegend(Alignment.LowerRight);
    }

    plot.Axes.SetLimits(1, Math.Max(2, x.Length), 0.0, 1.0);
    plot.XLabel("epochs");
    plot.YLabel("accuracy");
    i++;

    if (i >= graphDrawNum)
    {
        break;
    }
}

const string file = "ch06-hyperparameter_optimization.png";
multiplot.SavePng(file, 1500, 300 * Math.Max(rowNum, 1));
Console.WriteLine(file);

// np.random.uniform(low, high)
static double Uniform(Random random, double low, double high) => low + (high - low) * random.NextDouble();

// The book's common/util.shuffle_dataset: the same random permutation of images and labels.
static (Tensor X, Tensor T) ShuffleDataset(Random random, Tensor x, Tensor t)
{
    int[] permutation = Enumerable.Range(0, x.Dim(0)).ToArray();
    random.Shuffle(permutation);
    return (x.TakeRows(permutation), t.TakeRows(permutation));
}
