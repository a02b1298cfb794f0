using DeepScratch.Layers;

namespace DeepScratch.Models;

/// <summary>
/// A network built from a <see cref="NetworkDescription"/> alone: its layers in order, then SoftmaxWithLoss. What a
/// model file whose metadata names no known model class (only the layer sequence) loads as.
/// </summary>
public sealed class SequentialNetwork : LayeredNetwork
{
    /// <summary>Builds the described layers with weights by <paramref name="init"/> from <c>new Random(seed)</c>.</summary>
    /// <exception cref="ArgumentException">The layers do not form a network, or the init is unknown.</exception>
    public SequentialNetwork(NetworkDescription description, string init = "he", int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(description);
        var (layers, buffers) = description.CreateLayers(init, new Random(seed));
        SetLayers(description.InputShape, layers, new SoftmaxWithLoss(), 0, buffers.AsReadOnly());
        Architecture = new Dictionary<string, string> { [NetworkDescription.MetadataKey] = description.Text }.AsReadOnly();
    }
}
