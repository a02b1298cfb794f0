using System.Globalization;

namespace DeepScratch.Bench;

/// <summary>
/// The compute-engine benchmark: FMA peak, GEMM shapes, MLP and CNN inference over the MNIST test set, training,
/// whole-process eval, side by side with ONNX Runtime and, when Debian's python3-numpy / python3-torch are installed,
/// numpy and PyTorch.
/// Usage: dotnet run --project bench/DeepScratch.Bench -c Release -- [all|peak|gemm|mlp|cnn|train|process|conv|steps|trainconv|trainsteps] [--only mlp|cnn] [--data DIR] [--json FILE]
/// (<c>--only</c> limits 'train' and 'trainsteps' to the fully connected networks or to the CNNs).
/// </summary>
public static class Program
{
    private static readonly string[] Parts = ["all", "peak", "gemm", "mlp", "cnn", "train", "process", "conv", "steps", "trainconv", "trainsteps"];

    /// <summary>The values of <c>--only</c>: the training rows of the fully connected networks, or of the CNNs.</summary>
    private static readonly string[] TrainGroups = ["mlp", "cnn"];

    public static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        string? what = null, data = null, json = null, only = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "--data" or "--json" or "--only")
            {
                if (i + 1 >= args.Length)
                {
                    return Usage($"{args[i]} needs a value");
                }

                (args[i] == "--data" ? ref data : ref args[i] == "--json" ? ref json : ref only) = args[++i];
            }
            else if (what is null && Parts.Contains(args[i]))
            {
                what = args[i];
            }
            else
            {
                return Usage($"unknown argument '{args[i]}'");
            }
        }

        what ??= "all";
        if (only is not null && (!TrainGroups.Contains(only) || what is not ("train" or "trainsteps")))
        {
            return Usage(TrainGroups.Contains(only)
                ? $"--only applies to the parts train and trainsteps, not '{what}'"
                : $"--only takes {string.Join(" or ", TrainGroups)}, not '{only}'");
        }
        data ??= Environment.GetEnvironmentVariable("DEEPSCRATCH_DATA") ?? "../shared/data";
        var report = new Report(data);
        if (what is "all" or "peak" or "gemm" or "mlp" or "cnn")
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

        if (what is "all" or "cnn")
        {
            report.Cnn();
        }

        if (what is "all" or "train")
        {
            report.Train(mlp: only is null or "mlp", cnn: only is null or "cnn");
        }

        if (what is "conv")
        {
            // Kernel-level: DeepConvNet's convolutions one by one (not part of "all": the network rows are in "cnn").
            ConvolutionBench.Run(data);
        }

        if (what is "trainconv")
        {
            // The training Convolution layer's Forward / Backward per conv of both CNNs (not part of "all").
            TrainingConvolutionBench.Run(data);
        }

        if (what is "steps")
        {
            // The engine's time per step for the book's CNNs (the profile behind the 'cnn' rows).
            StepProfile.Run(data);
        }

        if (what is "trainsteps")
        {
            // Where a CNN training iteration's time and allocations go, layer by layer (the profile behind the 'train' rows).
            TrainProfile.Run(data, mlp: only is null or "mlp", cnn: only is null or "cnn");
        }

        if (what is "all" or "process")
        {
            report.Process();
        }

        if (json is not null)
        {
            BenchRowJson.Write(json, report.Rows);
            Console.WriteLine($"{report.Rows.Count} rows written to {json}");
        }

        if (report.Failed)
        {
            Console.Error.WriteLine("Some run gave the wrong accuracy (see WRONG RESULT above).");
            return 1;
        }

        return 0;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"DeepScratch.Bench: {problem}. Usage: [{string.Join('|', Parts)}] [--only {string.Join('|', TrainGroups)}] [--data DIR] [--json FILE]");
        return 2;
    }
}
