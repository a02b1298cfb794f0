#:project ../../src/DeepScratch/DeepScratch.csproj
// ci: --dataset fashion-mnist --quick
// The book's ch05/train_neuralnet.py: trains the two-layer net (784-50-10) by backpropagation, 10,000 minibatches of
// 100 at learning rate 0.1, printing train and test accuracy once per epoch ("0.9783 0.9712" at the end on MNIST).
// Run: dotnet run examples/ch05/train_neuralnet.cs      (--quick: 1,201 iterations, three epochs' lines; --dataset fashion-mnist)
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Tensors;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

var run = ChapterScript.Start(args);

// Load the data
var ((xTrain, tTrain), (xTest, tTest)) = Mnist.Load(normalize: true, oneHotLabel: true, store: run.Store, kind: run.Dataset);

var network = new TwoLayerNet(inputSize: 784, hiddenSize: 50, outputSize: 10);

int itersNum = run.Pick(10000, 1201);
int trainSize = xTrain.Dim(0);
int batchSize = 100;
double learningRate = 0.1;

var trainLossList = new List<double>();
var trainAccList = new List<double>();
var testAccList = new List<double>();

int iterPerEpoch = Math.Max(trainSize / batchSize, 1);
var random = new Random(0);
var optimizer = new Sgd(learningRate);

for (int i = 0; i < itersNum; i++)
{
    int[] batchMask = MiniBatch.RandomChoice(random, trainSize, batchSize);
    var xBatch = xTrain.TakeRows(batchMask);
    var tBatch = tTrain.TakeRows(batchMask);

    // Gradient (network.Gradient backpropagates; NumericalGradient.Compute would take hours)
    network.Gradient(xBatch, tBatch);

    // Update: params[key] -= learning_rate * grad[key] for W1, b1, W2, b2
    optimizer.Update(network.Parameters);

    double loss = network.Loss(xBatch, tBatch, train: false);
    trainLossList.Add(loss);

    if (i % iterPerEpoch == 0)
    {
        double trainAcc = network.Accuracy(xTrain, tTrain);
        double testAcc = network.Accuracy(xTest, tTest);
        trainAccList.Add(trainAcc);
        testAccList.Add(testAcc);
        Console.WriteLine($"{trainAcc} {testAcc}");
    }
}
