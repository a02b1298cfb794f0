using System.Globalization;
using DeepScratch.Layers;

namespace DeepScratch.Models;

/// <summary>
/// The two-layer network of chapter 5 (<c>ch05/two_layer_net.py</c>): Affine1 → Relu1 → Affine2 → SoftmaxWithLoss,
/// with parameters W1, b1, W2, b2. Weights start as weightInitStd·N(0, 1) from a seeded generator, biases at 0.
/// </summary>
public sealed class TwoLayerNet : LayeredNetwork
{
    /// <summary>Builds the network with weights drawn from <c>new Random(seed)</c> (W1 first, then W2).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the standard deviation is not a positive number.</exception>
    public TwoLayerNet(int inputSize, int hiddenSize, int outputSize, double weightInitStd = 0.01, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSize, 1);
        if (!(weightInitStd > 0) || double.IsInfinity(weightInitStd))
        {
            throw new ArgumentOutOfRangeException(nameof(weightInitStd), $"The initial weights' standard deviation must be a positive number; got {weightInitStd}.");
        }

        var random = new Random(seed);
        var affine1 = new Affine(
            new Parameter("W1", WeightInit.Normal(random, weightInitStd, inputSize, hiddenSize), weightDecay: true),
            new Parameter("b1", Tensor.Zeros(hiddenSize)));
        var affine2 = new Affine(
            new Parameter("W2", WeightInit.Normal(random, weightInitStd, hiddenSize, outputSize), weightDecay: true),
            new Parameter("b2", Tensor.Zeros(outputSize)));
        SetLayers([inputSize], [affine1, new Relu(), affine2], new SoftmaxWithLoss());
        Architecture = new Dictionary<string, string>
        {
            ["model"] = NetworkFactory.TwoLayer,
            ["input"] = inputSize.ToString(CultureInfo.InvariantCulture),
            ["hidden"] = hiddenSize.ToString(CultureInfo.InvariantCulture),
            ["output"] = outputSize.ToString(CultureInfo.InvariantCulture),
            ["init"] = weightInitStd.ToString("R", CultureInfo.InvariantCulture),
        }.AsReadOnly();
    }
}
