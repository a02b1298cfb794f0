using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Serialization;

namespace DeepScratch.Tests.Models;

/// <summary>
/// The book's two CNNs built from layers (the architectures of ../shared/data/README.md) with their pickles' arrays
/// loaded by name: the layer-by-layer reference the engine is compared with, independent of any CNN model class.
/// </summary>
internal sealed class BookCnn : LayeredNetwork
{
    private BookCnn(IReadOnlyList<ILayer> layers) => SetLayers([1, 28, 28], layers, new SoftmaxWithLoss());

    private static Parameter P(string name, params int[] shape) => new(name, Tensor.Zeros(shape), weightDecay: name.StartsWith('W'));

    /// <summary>SimpleConvNet with params.pkl: Conv(30, 5x5) - ReLU - Pool 2x2/2 - Affine 4320->100 - ReLU - Affine 100->10.</summary>
    public static BookCnn Simple()
    {
        var net = new BookCnn(
        [
            new Convolution(P("W1", 30, 1, 5, 5), P("b1", 30)), new Relu(), new Pooling(2, 2, 2),
            new Affine(P("W2", 4320, 100), P("b2", 100)), new Relu(), new Affine(P("W3", 100, 10), P("b3", 10)),
        ]);
        net.LoadParameters(NumpyPickle.LoadTensors(TestData.Weights("params.pkl")));
        return net;
    }

    /// <summary>DeepConvNet with deep_convnet_params.pkl (the book's ch08 layer list, Dropout 0.5 scaled at inference).</summary>
    public static BookCnn Deep()
    {
        var random = new Random(0);
        var net = new BookCnn(
        [
            new Convolution(P("W1", 16, 1, 3, 3), P("b1", 16), 1, 1), new Relu(),
            new Convolution(P("W2", 16, 16, 3, 3), P("b2", 16), 1, 1), new Relu(), new Pooling(2, 2, 2),
            new Convolution(P("W3", 32, 16, 3, 3), P("b3", 32), 1, 1), new Relu(),
            new Convolution(P("W4", 32, 32, 3, 3), P("b4", 32), 1, 2), new Relu(), new Pooling(2, 2, 2),
            new Convolution(P("W5", 64, 32, 3, 3), P("b5", 64), 1, 1), new Relu(),
            new Convolution(P("W6", 64, 64, 3, 3), P("b6", 64), 1, 1), new Relu(), new Pooling(2, 2, 2),
            new Affine(P("W7", 1024, 50), P("b7", 50)), new Relu(), new Dropout(0.5, random),
            new Affine(P("W8", 50, 10), P("b8", 10)), new Dropout(0.5, random),
        ]);
        net.LoadParameters(NumpyPickle.LoadTensors(TestData.Weights("deep_convnet_params.pkl")));
        return net;
    }
}
