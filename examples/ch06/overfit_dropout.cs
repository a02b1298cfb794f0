#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// ci: --dataset fashion-mnist --quick
// The book's ch06/overfit_dropout.py: the overfitting 7-layer network of overfit_weight_decay, on 300 images, now with
// Dropout (ratio 0.2) and trained by the Trainer for 301 epochs; prints train and test accuracy per epoch (figure 6-23).
// Run: dotnet run examples/ch06/overfit_dropout.cs   (--quick: 11 epochs)   Writes ch06-overfit_dropout.png
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;
using ScottPlot;

var run = ChapterScript.Start(args);

var ((xTrain, tTrain), (xTest, tTest)) = Mnist.Load(normalize: true, store: run.Store, kind: run.Dataset);

// Keep only 300 training images, to make the network overfit
xTrain = xTrain.Rows(0, 300);
tTrain = tTrain.Rows(0, 300);

// Dropout or not, and its ratio ========================
bool useDropout = true; // false for the run without Dropout
double dropoutRatio = 0.2;
// ====================================================

var network = new MultiLayerNetExtend(inputSize: 784, hiddenSizes: [100, 100, 100, 100, 100, 100], outputSize: 10,
    useDropout: useDropout, dropoutRatio: dropoutRatio);
// The book's Trainer(epochs=301, mini_batch_size=100, optimizer='sgd', lr=0.01), measuring the whole sets every epoch.
var trainer = new Trainer(network, new Sgd(learningRate: 0.01),
    new TrainerOptions(BatchSize: 100, Epochs: run.Pick(301, 11), EvaluationSample: 0));
var history = trainer.Fit(xTrain, tTrain, xTest, tTest, new Verbose());
Console.WriteLine("=============== Final Test Accuracy ===============");
Console.WriteLine("test acc:" + history.TestAccuracy[^1]);

var (trainAccList, testAccList) = (history.TrainAccuracy, history.TestAccuracy);

// Draw the graph ==========
var plot = new Plot();
double[] x = history.AccuracyEpochs.ToArray();
var train = plot.Add.Scatter(x, trainAccList.ToArray());
train.LegendText = "train";
train.MarkerShape = MarkerShape.FilledCircle;
var test = plot.Add.Scatter(x, testAccList.ToArray());
test.LegendText = "test";
test.MarkerShape = MarkerShape.FilledSquare;
plot.Title(useDropout ? $"Dropout ratio {dropoutRatio}, 300 training images" : "No Dropout, 300 training images");
plot.XLabel("epochs");
plot.YLabel("accuracy");
plot.Axes.SetLimits(0, x[^1], 0, 1.0);
plot.ShowLegend(Alignment.LowerRight);
const string file = "ch06-overfit_dropout.png";
plot.SavePng(file, 800, 600);
Console.WriteLine(file);

// The book's verbose=True: one line per epoch (the per-iteration loss lines are left out).
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
