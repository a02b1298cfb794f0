#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// ci: --dataset fashion-mnist --quick
// The book's ch07/train_convnet.py: trains SimpleConvNet (conv 30 5x5 filters - pool - 100 - 10) with Adam (lr 0.001)
// for 20 epochs, measuring 1,000 train and test images per epoch, then saves its parameters (about 0.99 on MNIST).
// Run: dotnet run examples/ch07/train_convnet.cs   (--quick: 5,000/1,000 images, 1 epoch)
// Writes params.safetensors (for `deepscratch eval --weights`) and ch07-train_convnet.png
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;
using ScottPlot;

var run = ChapterScript.Start(args);

// Load the data
var ((xTrain, tTrain), (xTest, tTest)) = Mnist.Load(flatten: false, store: run.Store, kind: run.Dataset);

// Use fewer images when it takes too long (what --quick does)
if (run.Quick)
{
    (xTrain, tTrain) = (xTrain.Rows(0, 5000), tTrain.Rows(0, 5000));
    (xTest, tTest) = (xTest.Rows(0, 1000), tTest.Rows(0, 1000));
}

int maxEpochs = run.Pick(20, 1);

var network = new SimpleConvNet(inputShape: [1, 28, 28],
    filters: 30, filterSize: 5, pad: 0, stride: 1,
    hidden: 100, classes: 10, init: "0.01");

var trainer = new Trainer(network, new Adam(learningRate: 0.001),
    new TrainerOptions(BatchSize: 100, Epochs: maxEpochs, EvaluationSample: 1000));
var history = trainer.Fit(xTrain, tTrain, xTest, tTest, new Verbose());
Console.WriteLine("=============== Final Test Accuracy ===============");
Console.WriteLine("test acc:" + history.TestAccuracy[^1]);

// Save the parameters
const string paramsFile = "params.safetensors";
ModelFile.Save(paramsFile, network, new Dictionary<string, string> { [ModelFile.DatasetKey] = Catalog.FolderName(run.Dataset) });
Console.WriteLine("Saved Network Parameters! (" + paramsFile + ")");

// Draw the graph
var plot = new Plot();
double[] x = history.AccuracyEpochs.ToArray();
var train = plot.Add.Scatter(x, history.TrainAccuracy.ToArray());
train.LegendText = "train";
train.MarkerShape = MarkerShape.FilledCircle;
var test = plot.Add.Scatter(x, history.TestAccuracy.ToArray());
test.LegendText = "test";
test.MarkerShape = MarkerShape.FilledSquare;
plot.Title("SimpleConvNet on " + Catalog.DisplayName(run.Dataset));
plot.XLabel("epochs");
plot.YLabel("accuracy");
plot.Axes.SetLimits(0, Math.Max(1, x[^1]), 0, 1.0);
plot.ShowLegend(Alignment.LowerRight);
const string file = "ch07-train_convnet.png";
plot.SavePng(file, 800, 600);
Console.WriteLine(file);

// The book's Trainer(verbose=True): one line per epoch (the per-iteration loss lines are left out).
sealed class Verbose : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value)
    {
        if (value.TrainAccuracy is double trainAcc && value.TestAccuracy is double testAcc)
        {
            Console.WriteLine("=== epoch:" + value.Epoch + ", train acc:" + trainAcc + ", test acc:" + testAcc + " ===");
        }
    }
}
