using DeepScratch.Kernels;
using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Serialization;
using DeepScratch.Tensors;

namespace DeepScratch.Bench;

/// <summary>
/// The book's two CNNs as inference steps over their pickles' arrays (the layer lists of ../shared/data/README.md),
/// compiled by the library's engine: the benchmark's DeepScratch rows until the library's SimpleConvNet/DeepConvNet
/// classes land, when each becomes <c>SimpleConvNet.Load(path).CreatePredictor(b)</c>.
/// </summary>
internal static class BookCnnSteps
{
    public static InferenceEngine Simple(string data)
    {
        var a = NumpyPickle.LoadTensors(Path.Combine(data, "weights", "params.pkl"));
        return InferenceEngine.Compile([1, 28, 28],
        [
            new InferenceStep.Convolution(a["W1"], a["b1"], 1, 0), Relu, new InferenceStep.MaxPool(2, 2, 2, 0),
            new InferenceStep.Linear(a["W2"], a["b2"]), Relu, new InferenceStep.Linear(a["W3"], a["b3"]),
        ]);
    }

    public static InferenceEngine Deep(string data)
    {
        var a = NumpyPickle.LoadTensors(Path.Combine(data, "weights", "deep_convnet_params.pkl"));
        var pool = new InferenceStep.MaxPool(2, 2, 2, 0);
        var half = new InferenceStep.ScaleShift(new Tensor([0.5f], 1), null);
        InferenceStep Conv(int i, int pad) => new InferenceStep.Convolution(a[$"W{i}"], a[$"b{i}"], 1, pad);
        return InferenceEngine.Compile([1, 28, 28],
        [
            Conv(1, 1), Relu, Conv(2, 1), Relu, pool, Conv(3, 1), Relu, Conv(4, 2), Relu, pool, Conv(5, 1), Relu, Conv(6, 1), Relu, pool,
            new InferenceStep.Linear(a["W7"], a["b7"]), Relu, half, new InferenceStep.Linear(a["W8"], a["b8"]), half,
        ]);
    }

    private static InferenceStep Relu => new InferenceStep.Activate(Activation.Relu);
}
