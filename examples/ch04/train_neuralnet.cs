#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// Book: ch04/train_neuralnet.py — mini-batch SGD on MNIST: 10,000 iterations of 100 random training images,
// learning rate 0.1, printing train and test accuracy once per epoch (600 iterations), then the accuracy plot
// (figure 4-11). The network is the book's chapter 4 TwoLayerNet (784-50-10, sigmoid hidden layer, weights N(0, 0.01²)),
// built as a MultiLayerNet; one difference: its gradient comes by backpropagation, not numerical_gradient, for speed
// (as the book's own comment on that line suggests: the numerical gradient would take hours).
// Run:  dotnet run examples/ch04/train_neuralnet.cs      (needs the MNIST training set; or --dataset fashion-mnist;
//       --quick runs 1,201 iterations: two epochs, evaluated before, after one and after two)
// Prints "train acc, test acc | 0.1, 0.1" lines as the book does, then writes ch04-train_neuralnet.png and prints its name.
// ci: --dataset fashion-mnist --quick
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Tensors;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;
using ScottPlot;

var run = ChapterScript.Start(args);

var ((xTrain, tTrain), (xTest, tTest)) = Mnist.Load(normalize: true, oneHotLabel: true, store: run.Store, kind: run.Dataset);

var network = new MultiLayerNet(inputSize: 784, hiddenSizes: [50], outputSize: 10, activation: "sigmoid", weightInit: "0.01");

int itersNum = run.Pick(10000, 1201); // the number of iterations (set as you like)
int trainSize = xTrain.Dim(0);
int batchSize = 100;
double learningRate = 0.1;
var optimizer = new Sgd(learningRate);

var trainLossList = new List<double>();
var trainAccList = new List<double>();
var testAccList = new List<double>();

int iterPerEpoch = Math.Max(trainSize / batchSize, 1);
var random = new Random(0);

for (int i = 0; i < itersNum; i++)
{
    int[] batchMask = MiniBatch.RandomChoice(random, trainSize, batchSize);
    var xBatch = xTrain.TakeRows(batchMask);
    var tBatch = tTrain.TakeRows(batchMask);

    // The gradient by backpropagation: each parameter's Grad afterwards holds dLoss/dparameter. It returns the loss.
    double loss = network.Gradient(xBatch, tBatch);

    // Update the parameters (W1, b1, W2, b2): param -= learning_rate * grad, the library's SGD.
    optimizer.Update(network.Parameters);

    trainLossList.Add(loss);

    if (i % iterPerEpoch == 0)
    {
        double trainAcc = network.Accuracy(xTrain, tTrain);
        double testAcc = network.Accuracy(xTest, tTest);
        trainAccList.Add(trainAcc);
        testAccList.Add(testAcc);
        Console.WriteLine("train acc, test acc | " + trainAcc + ", " + testAcc);
    }
}

// Draw the graph.
double[] x = Enumerable.Range(0, trainAccList.Count).Select(e => (double)e).ToArray();
var plt = new Plot();
var train = plt.Add.Scatter(x, trainAccList.ToArray());
train.LegendText = "train acc";
train.MarkerShape = MarkerShape.FilledCircle;
var test = plt.Add.Scatter(x, testAccList.ToArray());
test.LegendText = "test acc";
test.LinePattern = LinePattern.Dashed;
test.MarkerShape = MarkerShape.FilledSquare;
plt.Title($"TwoLayerNet on {Catalog.DisplayName(run.Dataset)}, {itersNum} iterations");
plt.XLabel("epochs");
plt.YLabel("accuracy");
plt.Axes.SetLimitsY(0, 1.0);
plt.ShowLegend(Alignment.LowerRight);
const string file = "ch04-train_neuralnet.png";
plt.SavePng(file, 640, 480);
Console.WriteLine(file);
