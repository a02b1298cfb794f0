using System.Globalization;
using DeepScratch.Serialization;

namespace DeepScratch.Bench;

/// <summary>
/// The compute-engine benchmark: FMA peak, GEMM shapes, MLP and CNN inference over the MNIST test set, training,
/// the scaling table, whole-process eval, side by side with ONNX Runtime and, when Debian's python3-numpy /
/// python3-torch are installed, numpy and PyTorch; ends with the targets met or missed in this run.
/// Usage: dotnet run --project bench/DeepScratch.Bench -c Release -- [all|peak|gemm|mlp|cnn|train|scaling|process|conv|steps|trainconv|trainsteps] [--only mlp|cnn] [--data DIR] [--json FILE]
/// (<c>--only</c> limits 'train' and 'trainsteps' to the fully connected networks or to the CNNs)
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var parsed = BenchArgs.Parse(args, Environment.GetEnvironmentVariable("DEEPSCRATCH_DATA") ?? "../shared/data", out string? error);
        if (parsed is null)
        {
            Console.Error.WriteLine($"DeepScratch.Bench: {error}. {BenchArgs.Usage}");
            return 2;
        }

        if (parsed.Json is { } jsonPath)
        {
            try
            {
                // Checked before a run of many minutes, not after it.
                AtomicFile.CheckWritable(jsonPath);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"DeepScratch.Bench: --json: {e.Message}");
                return 2;
            }
        }

        string data = parsed.Data;
        var report = new Report(data);
        if (parsed.Part == BenchArgs.ScalingChild)
        {
            return Scaling.RunChild(report, parsed.Json);
        }

        if (parsed.Runs("peak") || parsed.Part is "gemm" or "mlp" or "cnn")
        {
            report.Peak();
        }

        if (parsed.Runs("gemm"))
        {
            report.Gemm();
        }

        if (parsed.Runs("mlp"))
        {
            report.Mlp();
        }

        if (parsed.Runs("cnn"))
        {
            report.Cnn();
        }

        if (parsed.Runs("train"))
        {
            report.Train(mlp: parsed.Only is null or "mlp", cnn: parsed.Only is null or "cnn");
        }

        if (parsed.Runs("conv"))
        {
            // Kernel-level: DeepConvNet's convolutions one by one (not part of "all": the network rows are in "cnn").
            ConvolutionBench.Run(data);
        }

        if (parsed.Runs("trainconv"))
        {
            // The training Convolution layer's Forward / Backward per conv of both CNNs (not part of "all").
            TrainingConvolutionBench.Run(data);
        }

        if (parsed.Runs("steps"))
        {
            // The engine's time per step for the book's CNNs (the profile behind the 'cnn' rows).
            StepProfile.Run(data);
        }

        if (parsed.Runs("trainsteps"))
        {
            // Where a CNN training iteration's time and allocations go, layer by layer (the profile behind the 'train' rows).
            TrainProfile.Run(data, mlp: parsed.Only is null or "mlp", cnn: parsed.Only is null or "cnn");
        }

        if (parsed.Runs("scaling"))
        {
            report.Scaling();
        }

        if (parsed.Runs("process"))
        {
            report.Process();
        }

        var targets = Targets.Evaluate(report.Rows);
        if (targets.Count > 0)
        {
            Targets.Print(targets, Console.Out);
        }

        if (parsed.Json is { } json)
        {
            BenchRowJson.Write(json, report.Rows);
            Console.WriteLine($"{report.Rows.Count} rows written to {json}");
        }

        if (report.Failed)
        {
            Console.Error.WriteLine("Some run gave the wrong accuracy or failed (see WRONG RESULT / FAILED above).");
            return 1;
        }

        return 0;
    }
}
