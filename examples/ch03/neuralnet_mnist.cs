#:project ../../src/DeepScratch/DeepScratch.csproj
// Book: ch03/neuralnet_mnist.py — inference with the book's trained 3-layer network (sample_weight.pkl) on the
// 10,000 MNIST test images, one image at a time, counting how often the most probable class is the label.
// Run:  dotnet run examples/ch03/neuralnet_mnist.cs     (the test set and the weights are downloaded if missing)
// Prints "Accuracy:0.9352", as the book does.
using DeepScratch.Data;
using DeepScratch.Functions;
using DeepScratch.Models;
using DeepScratch.Tensors;

var run = ChapterScript.Start(args);

var (x, t) = GetData();
var network = InitNetwork();
int accuracyCnt = 0;
for (int i = 0; i < x.Dim(0); i++)
{
    var y = Predict(network, x.Row(i));
    int p = y.ArgMax(); // the index of the most probable class
    if (p == (int)t[i])
    {
        accuracyCnt++;
    }
}

Console.WriteLine("Accuracy:" + (double)accuracyCnt / x.Dim(0));

// Only the test split: load_mnist(normalize=True, flatten=True, one_hot_label=False)'s (x_test, t_test).
(Tensor X, Tensor T) GetData() =>
    Mnist.Load(DatasetSplit.Test, normalize: true, flatten: true, oneHotLabel: false, store: run.Store, kind: run.Dataset);

// The book unpickles sample_weight.pkl into a dict of W1, b1, ...; ThreeLayerNet holds the same six arrays.
ThreeLayerNet InitNetwork() => ThreeLayerNet.Load(run.Store.Ensure(Catalog.SampleWeight));

static Tensor Predict(ThreeLayerNet network, Tensor x)
{
    Tensor W1 = network.W1, W2 = network.W2, W3 = network.W3;
    Tensor b1 = network.B1, b2 = network.B2, b3 = network.B3;

    var a1 = Tensor.Dot(x, W1) + b1;
    var z1 = Activations.Sigmoid(a1);
    var a2 = Tensor.Dot(z1, W2) + b2;
    var z2 = Activations.Sigmoid(a2);
    var a3 = Tensor.Dot(z2, W3) + b3;
    var y = Activations.Softmax(a3);

    return y;
}
