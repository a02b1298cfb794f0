#:project ../../src/DeepScratch/DeepScratch.csproj
// Book: ch03/neuralnet_mnist_batch.py — the same inference as neuralnet_mnist, 100 images per batch: one matrix
// product per layer for the whole batch, and the predicted classes taken row by row (argmax along axis 1).
// Run:  dotnet run examples/ch03/neuralnet_mnist_batch.cs
// Prints "Accuracy:0.9352" (the same count as one image at a time).
using DeepScratch.Data;
using DeepScratch.Functions;
using DeepScratch.Models;
using DeepScratch.Tensors;

var run = ChapterScript.Start(args);

var (x, t) = GetData();
var network = InitNetwork();

int batchSize = 100; // images per batch
int accuracyCnt = 0;

for (int i = 0; i < x.Dim(0); i += batchSize)
{
    int n = Math.Min(batchSize, x.Dim(0) - i);
    var xBatch = x.Rows(i, n);
    var yBatch = Predict(network, xBatch);
    int[] p = yBatch.ArgMaxLastAxis();
    accuracyCnt += Enumerable.Range(0, n).Count(k => p[k] == (int)t[i + k]);
}

Console.WriteLine("Accuracy:" + (double)accuracyCnt / x.Dim(0));

(Tensor X, Tensor T) GetData() =>
    Mnist.Load(DatasetSplit.Test, normalize: true, flatten: true, oneHotLabel: false, store: run.Store, kind: run.Dataset);

ThreeLayerNet InitNetwork() => ThreeLayerNet.Load(run.Store.Ensure(Catalog.SampleWeight));

// The same function as in neuralnet_mnist on a batch (N, 784): numpy broadcasts b1 over the N rows of np.dot(x, W1);
// the Tensor says so with AddRowVector.
static Tensor Predict(ThreeLayerNet network, Tensor x)
{
    Tensor w1 = network.W1, w2 = network.W2, w3 = network.W3;
    Tensor b1 = network.B1, b2 = network.B2, b3 = network.B3;

    var a1 = Tensor.Dot(x, w1).AddRowVector(b1);
    var z1 = Activations.Sigmoid(a1);
    var a2 = Tensor.Dot(z1, w2).AddRowVector(b2);
    var z2 = Activations.Sigmoid(a2);
    var a3 = Tensor.Dot(z2, w3).AddRowVector(b3);
    var y = Activations.Softmax(a3);

    return y;
}
