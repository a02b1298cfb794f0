using System.Globalization;
using DeepScratch.Layers;

namespace DeepScratch.Models;

/// <summary>
/// The fully connected network of chapter 6 (<c>common/multi_layer_net.py</c>): (Affine → Relu or Sigmoid) per hidden
/// layer, then Affine → SoftmaxWithLoss; parameters W1, b1, W2, b2, ... Weight decay adds 0.5·λ·ΣW² to the loss and
/// λ·W to each dW.
/// </summary>
public sealed class MultiLayerNet : LayeredNetwork
{
    /// <summary>The hidden activations the multi-layer nets offer, lower case: the book's "relu" and "sigmoid".</summary>
    public static IReadOnlyList<string> Activations { get; } = Array.AsReadOnly(["relu", "sigmoid"]);

    /// <summary>Builds the network with weights drawn from <c>new Random(seed)</c>, layer by layer; biases start at 0.</summary>
    /// <param name="inputSize">Values per example (784 for MNIST).</param>
    /// <param name="hiddenSizes">Neurons of each hidden layer, e.g. [100, 100, 100]; may be empty.</param>
    /// <param name="outputSize">Classes.</param>
    /// <param name="activation">"relu" or "sigmoid".</param>
    /// <param name="weightInit">"he" (the book's "relu"), "xavier" ("sigmoid") or a standard deviation such as "0.01".</param>
    /// <param name="weightDecayLambda">λ of the L2 weight decay; 0 for none.</param>
    /// <param name="seed">Seed of the weights' generator: the same seed gives bit-identical weights.</param>
    /// <exception cref="ArgumentException">An argument is out of range or names an unknown activation or initialisation.</exception>
    public MultiLayerNet(int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize, string activation = "relu",
        string weightInit = "he", double weightDecayLambda = 0, int seed = 0)
    {
        var random = new Random(seed);
        var (layers, _) = BuildLayers(inputSize, hiddenSizes, outputSize, activation, weightInit, useBatchnorm: false, dropoutRatio: null, random);
        SetLayers([inputSize], layers, new SoftmaxWithLoss(), weightDecayLambda);
        Architecture = DescribeArchitecture(NetworkFactory.MultiLayer, inputSize, hiddenSizes, outputSize, activation, weightInit, weightDecayLambda).AsReadOnly();
    }

    /// <summary>
    /// The layers of the book's multi-layer nets: per hidden layer i, Affine(Wi, bi) [→ BatchNorm(gammai, betai)] →
    /// activation [→ Dropout], then the output Affine. Weights are drawn in layer order from <paramref name="random"/>,
    /// which the Dropout layers then use for their masks.
    /// </summary>
    internal static (List<ILayer> Layers, Dictionary<string, Tensor> Buffers) BuildLayers(
        int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize, string activation, string weightInit,
        bool useBatchnorm, double? dropoutRatio, Random random)
    {
        ArgumentNullException.ThrowIfNull(hiddenSizes);
        ArgumentNullException.ThrowIfNull(activation);
        ArgumentNullException.ThrowIfNull(weightInit);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSize, 1);
        if (hiddenSizes.Any(h => h < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(hiddenSizes), $"Every hidden layer needs at least one neuron; got [{string.Join(", ", hiddenSizes)}].");
        }

        string act = NormalizeActivation(activation);
        int[] sizes = [inputSize, .. hiddenSizes, outputSize];
        var layers = new List<ILayer>();
        var buffers = new Dictionary<string, Tensor>();
        for (int i = 1; i < sizes.Length; i++)
        {
            var w = WeightInit.Normal(random, WeightInit.Std(weightInit, sizes[i - 1]), sizes[i - 1], sizes[i]);
            layers.Add(new Affine(new Parameter($"W{i}", w, weightDecay: true), new Parameter($"b{i}", Tensor.Zeros(sizes[i]))));
            if (i == sizes.Length - 1)
            {
                break;
            }

            if (useBatchnorm)
            {
                var ones = Tensor.Zeros(sizes[i]);
                ones.Span.Fill(1f);
                var bn = new BatchNormalization(new Parameter($"gamma{i}", ones), new Parameter($"beta{i}", Tensor.Zeros(sizes[i])));
                buffers[$"running_mean{i}"] = bn.RunningMean;
                buffers[$"running_var{i}"] = bn.RunningVar;
                layers.Add(bn);
            }

            layers.Add(act == "relu" ? new Relu() : new Sigmoid());
            if (dropoutRatio is double ratio)
            {
                layers.Add(new Dropout(ratio, random));
            }
        }

        return (layers, buffers);
    }

    /// <summary>The architecture entries the multi-layer nets share, with numbers in invariant culture.</summary>
    internal static Dictionary<string, string> DescribeArchitecture(string model, int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize,
        string activation, string weightInit, double weightDecayLambda) => new()
    {
        ["model"] = model,
        ["input"] = inputSize.ToString(CultureInfo.InvariantCulture),
        ["hidden"] = string.Join(",", hiddenSizes.Select(h => h.ToString(CultureInfo.InvariantCulture))),
        ["output"] = outputSize.ToString(CultureInfo.InvariantCulture),
        ["activation"] = NormalizeActivation(activation),
        ["init"] = weightInit.Trim().ToLowerInvariant(),
        ["weight_decay"] = weightDecayLambda.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string NormalizeActivation(string activation) =>
        Activations.FirstOrDefault(a => a == activation.Trim().ToLowerInvariant())
        ?? throw new ArgumentException($"Unknown activation \"{activation}\": use {string.Join(" or ", Activations.Select(a => $"\"{a}\""))}.", nameof(activation));
}
