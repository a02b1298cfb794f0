#:project ../../src/DeepScratch/DeepScratch.csproj
// ci: --quick
// ci: --dataset mnist
// The book's ch08/half_float_network.py: DeepConvNet with the book's deep_convnet_params.pkl, its accuracy with the
// weights as read and again with weights and test images stored in half precision (float16): the same accuracy.
// Run: dotnet run examples/ch08/half_float_network.cs   (--quick: the first 1,000 test images)
// Prints the two accuracies.
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Serialization;

var run = ChapterScript.Start(args);

// Only the test set is needed
var (xTest, tTest) = Mnist.Load(DatasetSplit.Test, flatten: false, store: run.Store, kind: run.Dataset);

var network = new DeepConvNet();
network.LoadParameters(NumpyPickle.LoadTensors(run.Store.Ensure(Catalog.DeepConvNetParams)));

int sampled = run.Pick(10000, 1000); // for speed
xTest = xTest.Rows(0, sampled);
tTest = tTest.Rows(0, sampled);

// The book computes in float64; DeepScratch computes in float32.
Console.WriteLine("calculate accuracy (float32) ... ");
Console.WriteLine(network.Accuracy(xTest, tTest));

// Convert to float16: the images and every parameter are rounded to the nearest float16 (computed in float32 after)
xTest = HalfPrecision.Round("x_test", xTest);
var halfNetwork = (INetwork)HalfPrecision.ToHalfWeights(network);

Console.WriteLine("calculate accuracy (float16) ... ");
Console.WriteLine(halfNetwork.Accuracy(xTest, tTest));
