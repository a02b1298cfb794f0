namespace DeepScratch.Models;

/// <summary>
/// The networks <c>deepscratch train</c> builds and which architecture settings each one takes: the one list the CLI
/// checks its options against, so an option that does not apply to a network is refused, never silently ignored.
/// </summary>
public static class TrainableModels
{
    /// <summary>Hidden layer sizes ("hidden").</summary>
    public const string Hidden = "hidden";

    /// <summary>The hidden activation ("activation").</summary>
    public const string Activation = "activation";

    /// <summary>The weight initialisation ("init").</summary>
    public const string Init = "init";

    /// <summary>Batch normalization ("batchnorm").</summary>
    public const string BatchNorm = "batchnorm";

    /// <summary>The dropout ratio ("dropout").</summary>
    public const string Dropout = "dropout";

    /// <summary>The L2 weight decay λ ("weight_decay").</summary>
    public const string WeightDecay = "weight_decay";

    /// <summary>The networks that train, in the book's order: TwoLayerNet, MultiLayerNet(Extend), SimpleConvNet, DeepConvNet.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(
        [NetworkFactory.TwoLayer, NetworkFactory.MultiLayer, NetworkFactory.SimpleCnn, NetworkFactory.DeepCnn]);

    /// <summary>Whether <paramref name="model"/> is a convolutional network (its inputs are images (N, 1, 28, 28), not rows of 784).</summary>
    public static bool IsConvolutional(string model) => model is NetworkFactory.SimpleCnn or NetworkFactory.DeepCnn;

    /// <summary>
    /// The settings <paramref name="model"/> takes besides its fixed layers: TwoLayerNet its hidden size and init std;
    /// MultiLayerNet all of them; SimpleConvNet its init std (the book's 0.01) and weight decay; DeepConvNet (He init,
    /// fixed layers) its dropout ratio (the book's 0.5) and weight decay.
    /// </summary>
    /// <exception cref="ArgumentException">The model is not one of <see cref="Names"/>.</exception>
    public static IReadOnlyList<string> Settings(string model) => model switch
    {
        NetworkFactory.TwoLayer => [Hidden, Init],
        NetworkFactory.MultiLayer => [Hidden, Activation, Init, BatchNorm, Dropout, WeightDecay],
        NetworkFactory.SimpleCnn => [Init, WeightDecay],
        NetworkFactory.DeepCnn => [Dropout, WeightDecay],
        _ => throw new ArgumentException($"'{model}' does not train; the networks that do are {string.Join(", ", Names)}.", nameof(model)),
    };
}
