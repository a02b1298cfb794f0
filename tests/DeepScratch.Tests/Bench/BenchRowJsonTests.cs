using System.Text.Json;
using DeepScratch.Bench;

namespace DeepScratch.Tests.Bench;

/// <summary>
/// The <c>--json</c> rows: every row has exactly the fields the README documents (snake_case, nulls kept, so a reader
/// of the first seven fields keeps working), times rounded to the microsecond, and rows read back as written.
/// </summary>
public sealed class BenchRowJsonTests : IDisposable
{
    /// <summary>The fields README.md's Performance section documents, in order.</summary>
    private static readonly string[] DocumentedFields =
        ["workload", "implementation", "threads", "batch", "best_s", "median_s", "accuracy", "images", "gflops", "peak_rss_mib", "cores_used"];

    private readonly string _folder = Directory.CreateTempSubdirectory("deepscratch-bench-json-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Every_row_has_the_documented_fields_with_its_values_and_nulls_kept()
    {
        var rows = new List<BenchRow>
        {
            new("mlp_inference", "DeepScratch", 2, 100, 0.00693049, 0.0071234449, 0.9352),
            new("process_eval", "python3", 1, 100, 0.2186, 0.2301, 0.9352, PeakRssMib: 70.04),
            new("deep_convnet_inference_scaling", "DeepScratch", 1, 10, 0.5, 0.6, 0.98, Images: 1000, CoresUsed: 0.99949),
            new("sgemm_2048x2048x2048", "numpy", 2, 2048, 0.0841, 0.085, null, Gflops: 204.26),
        };

        using var doc = JsonDocument.Parse(BenchRowJson.Serialize(rows));
        var objects = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(4, objects.Count);
        foreach (var o in objects)
        {
            Assert.Equal(DocumentedFields, o.EnumerateObject().Select(p => p.Name));
        }

        Assert.Equal("mlp_inference", objects[0].GetProperty("workload").GetString());
        Assert.Equal("DeepScratch", objects[0].GetProperty("implementation").GetString());
        Assert.Equal(2, objects[0].GetProperty("threads").GetInt32());
        Assert.Equal(100, objects[0].GetProperty("batch").GetInt32());
        Assert.Equal(0.00693, objects[0].GetProperty("best_s").GetDouble()); // to the microsecond
        Assert.Equal(0.007123, objects[0].GetProperty("median_s").GetDouble());
        Assert.Equal(0.9352, objects[0].GetProperty("accuracy").GetDouble());
        Assert.Equal(JsonValueKind.Null, objects[0].GetProperty("images").ValueKind);
        Assert.Equal(JsonValueKind.Null, objects[0].GetProperty("gflops").ValueKind);
        Assert.Equal(JsonValueKind.Null, objects[0].GetProperty("peak_rss_mib").ValueKind);
        Assert.Equal(JsonValueKind.Null, objects[0].GetProperty("cores_used").ValueKind);
        Assert.Equal(70.0, objects[1].GetProperty("peak_rss_mib").GetDouble());
        Assert.Equal(1000, objects[2].GetProperty("images").GetInt32());
        Assert.Equal(0.999, objects[2].GetProperty("cores_used").GetDouble());
        Assert.Equal(JsonValueKind.Null, objects[3].GetProperty("accuracy").ValueKind);
        Assert.Equal(204.3, objects[3].GetProperty("gflops").GetDouble());
    }

    [Fact]
    public void Rows_written_to_a_file_read_back_as_written_rounded()
    {
        var rows = new List<BenchRow>
        {
            new("mlp_inference_scaling", "DeepScratch", 1, 1, 0.0187, 0.019, 0.9352, CoresUsed: 1.0),
            new("fma_peak_vector512", "DeepScratch", 2, 0, 0.041234567, 0.042, null, Gflops: 232.04),
        };
        string path = Path.Combine(_folder, "rows.json");
        BenchRowJson.Write(path, rows);

        var back = BenchRowJson.Read(path);
        Assert.Equal(rows[0], back[0]);
        Assert.Equal(rows[1] with { BestS = 0.041235, Gflops = 232.0 }, back[1]);
    }

    [Fact]
    public void A_file_that_is_not_a_row_array_is_refused()
    {
        string path = Path.Combine(_folder, "bad.json");
        File.WriteAllText(path, "{\"workload\": 1}");
        Assert.ThrowsAny<JsonException>(() => BenchRowJson.Read(path));
        File.WriteAllText(path, "null");
        Assert.ThrowsAny<JsonException>(() => BenchRowJson.Read(path));
    }
}
