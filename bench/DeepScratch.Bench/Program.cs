using System.Globalization;
using DeepScratch.Data;
using DeepScratch.Kernels;
using DeepScratch.Models;

namespace DeepScratch.Bench;

/// <summary>
/// The compute-engine benchmark: FMA peak, GEMM shapes, MLP inference over the MNIST test set, whole-process eval,
/// side by side with numpy and PyTorch when Debian's python3-numpy / python3-torch are installed.
/// Usage: dotnet run --project bench/DeepScratch.Bench -c Release -- [all|peak|gemm|mlp|train|process] [--data DIR]
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        string what = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
        int dataIndex = Array.IndexOf(args, "--data");
        string data = dataIndex >= 0 && dataIndex + 1 < args.Length ? args[dataIndex + 1]
            : Environment.GetEnvironmentVariable("DEEPSCRATCH_DATA") ?? "../shared/data";
        var report = new Report(data);
        if (what is "all" or "peak" or "gemm" or "mlp")
        {
            report.Peak();
        }

        if (what is "all" or "gemm")
        {
            report.Gemm();
        }

        if (what is "all" or "mlp")
        {
            report.Mlp();
        }

        if (what is "all" or "train")
        {
            report.Train();
        }

        if (what is "all" or "process")
        {
            report.Process();
        }

        return 0;
    }
}
