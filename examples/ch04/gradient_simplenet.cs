#:project ../../src/DeepScratch/DeepScratch.csproj
// Book: ch04/gradient_simplenet.py — a one-layer network (W is 2x3, drawn from N(0, 1)) with softmax and cross-entropy
// loss, and the numerical gradient dW of the loss for one input x = (0.6, 0.9) with label 2.
// Run:  dotnet run examples/ch04/gradient_simplenet.cs
// Prints W (random, so the reader can check dW: it equals xᵀ(softmax(xW) - t)), then dW as a 2x3 array.
using System.Globalization;
using DeepScratch.Data;
using DeepScratch.Functions;
using DeepScratch.Layers;
using DeepScratch.Tensors;
using DeepScratch.Training;

var run = ChapterScript.Start(args);

var x = Tensor.FromValues(0.6f, 0.9f);
var t = Tensor.FromValues(0, 0, 1);

var net = new SimpleNet(new Random());

Func<double> f = () => net.Loss(x, t);
var dW = NumericalGradient.Compute(f, net.W);

Console.WriteLine("W =");
Print(net.W);
Console.WriteLine("dW =");
Print(dW);

// numpy's way of printing a 2-D array: [[a b c]\n [d e f]].
static void Print(Tensor a)
{
    for (int r = 0; r < a.Dim(0); r++)
    {
        var row = Enumerable.Range(0, a.Dim(1)).Select(c => a[r, c].ToString(" 0.00000000;-0.00000000", CultureInfo.InvariantCulture));
        Console.WriteLine((r == 0 ? "[[" : " [") + string.Join(" ", row) + (r == a.Dim(0) - 1 ? "]]" : "]"));
    }
}

// The book's simpleNet: predict is x·W, loss is the cross-entropy of softmax(x·W) against the one-hot label.
sealed class SimpleNet(Random random)
{
    public Tensor W { get; } = WeightInit.Normal(random, 1.0, 2, 3); // np.random.randn(2, 3)

    public Tensor Predict(Tensor x) => Tensor.Dot(x, W);

    public double Loss(Tensor x, Tensor t)
    {
        var z = Predict(x);
        var y = Activations.Softmax(z);
        double loss = Losses.CrossEntropyError(y, t);

        return loss;
    }
}
