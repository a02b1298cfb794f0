using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepScratch.Bench;

/// <summary>
/// One measured figure, as written by <c>--json FILE</c> so that runs can be compared over time.
/// Workloads: mlp_inference, simple_convnet_inference, deep_convnet_inference (all 10,000 test images),
/// simple_convnet_train_100it, deep_convnet_train_epoch, two_layer_train_epoch, multi_layer_extend_train_epoch.
/// Implementations: DeepScratch, OnnxRuntime, PyTorch, numpy.
/// </summary>
/// <param name="Workload">What was run (one of the names above).</param>
/// <param name="Implementation">Who ran it (one of the names above).</param>
/// <param name="Threads">Threads the implementation was given (numpy's OpenBLAS: the machine's cores).</param>
/// <param name="Batch">Images per call (inference) or per iteration (training).</param>
/// <param name="BestS">Fastest measured run, seconds.</param>
/// <param name="MedianS">Median of the measured runs, seconds.</param>
/// <param name="Accuracy">Fraction of test images classified right in the timed runs, or null where not measured.</param>
internal sealed record BenchRow(
    string Workload, string Implementation, int Threads, int Batch, double BestS, double MedianS, double? Accuracy);

/// <summary>Source-generated serialisation of <see cref="BenchRow"/> lists: snake_case keys, nulls kept.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(List<BenchRow>))]
internal sealed partial class BenchRowJson : JsonSerializerContext
{
    /// <summary>Writes <paramref name="rows"/> as a JSON array of objects to <paramref name="path"/>, times to the microsecond.</summary>
    public static void Write(string path, List<BenchRow> rows)
    {
        var rounded = rows.Select(r => r with { BestS = Math.Round(r.BestS, 6), MedianS = Math.Round(r.MedianS, 6) }).ToList();
        File.WriteAllText(path, JsonSerializer.Serialize(rounded, Default.ListBenchRow) + "\n");
    }
}
