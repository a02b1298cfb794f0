#:project ../../src/DeepScratch/DeepScratch.csproj
// ci: --dataset fashion-mnist --quick
// The book's ch05/gradient_check.py: checks backpropagation against the numerical gradient of chapter 4 on three
// training images, printing the mean absolute difference per parameter ("W1:2.5e-10" in the book's float64).
// Run: dotnet run examples/ch05/gradient_check.cs      Prints one line per parameter: W1, b1, W2, b2.
using DeepScratch.Tensors;
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Training;

var run = ChapterScript.Start(args);

// Load the data
var (xTrain, tTrain) = Mnist.Load(DatasetSplit.Train, normalize: true, oneHotLabel: true, store: run.Store, kind: run.Dataset);

var network = new TwoLayerNet(inputSize: 784, hiddenSize: 50, outputSize: 10);

var xBatch = xTrain.Rows(0, 3);
var tBatch = tTrain.Rows(0, 3);

// h = 1e-3 rather than the book's 1e-4: the network computes in float32, where 1e-4 drowns in rounding.
var gradNumerical = network.Parameters.ToDictionary(
    p => p.Name, p => NumericalGradient.Compute(() => network.Loss(xBatch, tBatch, train: false), p.Value, h: 1e-3));
network.Gradient(xBatch, tBatch);
var gradBackprop = network.Parameters.ToDictionary(p => p.Name, p => p.Grad);

foreach (var key in gradNumerical.Keys)
{
    double diff = Average(Abs(gradBackprop[key] - gradNumerical[key]));
    Console.WriteLine(key + ":" + diff);
}

static float[] Abs(Tensor t) => t.ToArray().Select(Math.Abs).ToArray();

static double Average(float[] values) => values.Average();
