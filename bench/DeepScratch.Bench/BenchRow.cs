using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepScratch.Bench;

/// <summary>
/// One measured figure, as written by <c>--json FILE</c> so that runs can be compared over time.
/// Workloads: fma_peak_vector256, fma_peak_vector512, sgemm_MxKxN (e.g. sgemm_2048x2048x2048), mlp_inference,
/// simple_convnet_inference, deep_convnet_inference (the 10,000 test images unless <see cref="Images"/> says fewer),
/// simple_convnet_train_100it, deep_convnet_train_epoch, two_layer_train_epoch, multi_layer_extend_train_epoch,
/// process_eval (whole-process wall time of <c>deepscratch eval</c> and of the book's batch script).
/// Implementations: DeepScratch, OnnxRuntime, PyTorch, numpy, python3 (the book's script).
/// The last four fields are optional (null where they do not apply), so readers of the first seven keep working.
/// </summary>
/// <param name="Workload">What was run (one of the names above).</param>
/// <param name="Implementation">Who ran it (one of the names above).</param>
/// <param name="Threads">Threads the implementation was given (numpy's OpenBLAS: the machine's cores).</param>
/// <param name="Batch">Images per call (inference) or per iteration (training); the rows m for sgemm, 0 for the FMA peak.</param>
/// <param name="BestS">Fastest measured run, seconds.</param>
/// <param name="MedianS">Median of the measured runs, seconds.</param>
/// <param name="Accuracy">Fraction of test images classified right in the timed runs, or null where not measured.</param>
/// <param name="Images">Images per timed pass when not the whole 10,000-image test set (the scaling table's subsets), else null.</param>
/// <param name="Gflops">Billions of floating-point operations per second of the best run (FMA peak, sgemm), else null.</param>
/// <param name="PeakRssMib">Peak resident memory of the whole process in MiB (process_eval), else null.</param>
/// <param name="CoresUsed">CPU time over wall time of the timed passes (scaling: shows a 1-thread child used one core), else null.</param>
internal sealed record BenchRow(
    string Workload, string Implementation, int Threads, int Batch, double BestS, double MedianS, double? Accuracy,
    int? Images = null, double? Gflops = null, double? PeakRssMib = null, double? CoresUsed = null);

/// <summary>Source-generated serialisation of <see cref="BenchRow"/> lists: snake_case keys, nulls kept.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(List<BenchRow>))]
internal sealed partial class BenchRowJson : JsonSerializerContext
{
    /// <summary>Writes <paramref name="rows"/> as a JSON array of objects to <paramref name="path"/>, times to the microsecond.</summary>
    public static void Write(string path, List<BenchRow> rows) => File.WriteAllText(path, Serialize(rows));

    /// <summary>The JSON text <see cref="Write"/> writes: times to the microsecond, ratios to 3 decimals.</summary>
    public static string Serialize(List<BenchRow> rows)
    {
        var rounded = rows.Select(r => r with
        {
            BestS = Math.Round(r.BestS, 6),
            MedianS = Math.Round(r.MedianS, 6),
            Gflops = r.Gflops is double g ? Math.Round(g, 1) : null,
            PeakRssMib = r.PeakRssMib is double m ? Math.Round(m, 1) : null,
            CoresUsed = r.CoresUsed is double c ? Math.Round(c, 3) : null,
        }).ToList();
        return JsonSerializer.Serialize(rounded, Default.ListBenchRow) + "\n";
    }

    /// <summary>Reads rows written by <see cref="Write"/> (the scaling part's child processes hand theirs back this way).</summary>
    /// <exception cref="JsonException">The file is not such an array.</exception>
    public static List<BenchRow> Read(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), Default.ListBenchRow) ?? throw new JsonException($"{path}: no rows");
}
