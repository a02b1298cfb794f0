#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// ci: --dataset fashion-mnist --quick
// The book's ch06/overfit_weight_decay.py: a 7-layer network trained on only 300 images overfits; weight decay
// (λ = 0.1) narrows the gap between train and test accuracy (the book's figure 6-21). Prints both accuracies per epoch.
// Run: dotnet run examples/ch06/overfit_weight_decay.cs   (--quick: 11 epochs)   Writes ch06-overfit_weight_decay.png
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Tensors;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;
using ScottPlot;

var run = ChapterScript.Start(args);

var ((xTrain, tTrain), (xTest, tTest)) = Mnist.Load(normalize: true, store: run.Store, kind: run.Dataset);

// Keep only 300 training images, to make the network overfit
xTrain = xTrain.Rows(0, 300);
tTrain = tTrain.Rows(0, 300);

// The weight decay setting =======================
// double weightDecayLambda = 0; // without weight decay
double weightDecayLambda = 0.1;
// ====================================================

var network = new MultiLayerNet(inputSize: 784, hiddenSizes: [100, 100, 100, 100, 100, 100], outputSize: 10,
    weightDecayLambda: weightDecayLambda);
var optimizer = new Sgd(learningRate: 0.01);

int maxEpochs = run.Pick(201, 11);
int trainSize = xTrain.Dim(0);
int batchSize = 100;

var trainLossList = new List<double>();
var trainAccList = new List<double>();
var testAccList = new List<double>();

int iterPerEpoch = Math.Max(trainSize / batchSize, 1);
int epochCnt = 0;
var random = new Random(0);

for (int i = 0; ; i++)
{
    int[] batchMask = MiniBatch.RandomChoice(random, trainSize, batchSize);
    var xBatch = xTrain.TakeRows(batchMask);
    var tBatch = tTrain.TakeRows(batchMask);

    network.Gradient(xBatch, tBatch);
    optimizer.Update(network.Parameters);

    if (i % iterPerEpoch == 0)
    {
        double trainAcc = network.Accuracy(xTrain, tTrain);
        double testAcc = network.Accuracy(xTest, tTest);
        trainAccList.Add(trainAcc);
        testAccList.Add(testAcc);

        Console.WriteLine("epoch:" + epochCnt + ", train acc:" + trainAcc + ", test acc:" + testAcc);

        epochCnt++;
        if (epochCnt >= maxEpochs)
        {
            break;
        }
    }
}

// 3: Draw the graph ==========
var plot = new Plot();
double[] x = Enumerable.Range(0, maxEpochs).Select(i => (double)i).ToArray();
var train = plot.Add.Scatter(x, trainAccList.ToArray());
train.LegendText = "train";
train.MarkerShape = MarkerShape.FilledCircle;
var test = plot.Add.Scatter(x, testAccList.ToArray());
test.LegendText = "test";
test.MarkerShape = MarkerShape.FilledSquare;
plot.Title($"Weight decay λ = {weightDecayLambda}, 300 training images");
plot.XLabel("epochs");
plot.YLabel("accuracy");
plot.Axes.SetLimits(0, maxEpochs - 1, 0, 1.0);
plot.ShowLegend(Alignment.LowerRight);
const string file = "ch06-overfit_weight_decay.png";
plot.SavePng(file, 800, 600);
Console.WriteLine(file);
