namespace DeepScratch.Serialization;

/// <summary>What a safetensors file holds: its tensors (as float32) and its free-form text metadata.</summary>
/// <param name="Tensors">Every tensor by name, in the order the file's header lists them.</param>
/// <param name="Metadata">The header's <c>__metadata__</c> map (empty when the file has none), in file order.</param>
public sealed record SafeTensorsFile(IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Each tensor's dtype as stored (F32, F64, ...), before the conversion to float32: what <c>inspect</c> shows.</summary>
    public IReadOnlyDictionary<string, string> StoredDTypes { get; init; } = new Dictionary<string, string>();
}
