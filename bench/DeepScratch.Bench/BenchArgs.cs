namespace DeepScratch.Bench;

/// <summary>The benchmark's command line: <c>[PART] [--only mlp|cnn] [--data DIR] [--json FILE]</c>.</summary>
/// <param name="Part">One of <see cref="Parts"/>, or <see cref="ScalingChild"/> (internal: a child process of <c>scaling</c>).</param>
/// <param name="Data">The data folder (mnist/, weights/, onnx/).</param>
/// <param name="Json">Where to write the rows, or null.</param>
/// <param name="Only">For <c>train</c> and <c>trainsteps</c>: one of <see cref="TrainGroups"/> (only those networks), or null for both.</param>
internal sealed record BenchArgs(string Part, string Data, string? Json, string? Only = null)
{
    /// <summary>The values of <c>--only</c>: the training rows of the fully connected networks, or of the CNNs.</summary>
    public static readonly string[] TrainGroups = ["mlp", "cnn"];

    /// <summary>The parts a user can run; <c>all</c> runs peak, gemm, mlp, cnn, train, scaling and process.</summary>
    public static readonly string[] Parts =
        ["all", "peak", "gemm", "mlp", "cnn", "train", "scaling", "process", "conv", "steps", "trainconv", "trainsteps"];

    /// <summary>The part a <c>scaling</c> run starts in its child processes (one per thread count); not listed in the usage.</summary>
    public const string ScalingChild = "scaling-child";

    /// <summary>The usage line printed after an argument mistake.</summary>
    public static string Usage => $"Usage: [{string.Join('|', Parts)}] [--only {string.Join('|', TrainGroups)}] [--data DIR] [--json FILE]";

    /// <summary>
    /// Parses <paramref name="args"/>; on a mistake returns null and sets <paramref name="error"/> to one sentence
    /// (an unknown or repeated part, an option without its value, an unknown option, <c>--only</c> misused).
    /// <paramref name="defaultData"/> is used when <c>--data</c> is not given.
    /// </summary>
    public static BenchArgs? Parse(string[] args, string defaultData, out string? error)
    {
        string? part = null, data = null, json = null, only = null;
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "--data" or "--json" or "--only")
            {
                if (i + 1 >= args.Length || args[i + 1].Length == 0)
                {
                    error = $"{args[i]} needs a value";
                    return null;
                }

                (args[i] == "--data" ? ref data : ref args[i] == "--json" ? ref json : ref only) = args[++i];
            }
            else if (part is null && (Parts.Contains(args[i]) || args[i] == ScalingChild))
            {
                part = args[i];
            }
            else
            {
                error = part is not null && Parts.Contains(args[i])
                    ? $"one part at a time ('{part}' and '{args[i]}' given; 'all' runs every part)"
                    : $"unknown argument '{args[i]}'";
                return null;
            }
        }

        part ??= "all";
        if (only is not null && (!TrainGroups.Contains(only) || part is not ("train" or "trainsteps")))
        {
            error = TrainGroups.Contains(only)
                ? $"--only applies to the parts train and trainsteps, not '{part}'"
                : $"--only takes {string.Join(" or ", TrainGroups)}, not '{only}'";
            return null;
        }

        return new BenchArgs(part, data ?? defaultData, json, only);
    }

    /// <summary>True when a run of this part includes <paramref name="part"/> (directly or through <c>all</c>).</summary>
    public bool Runs(string part) => Part == part || (Part == "all" && part is "peak" or "gemm" or "mlp" or "cnn" or "train" or "scaling" or "process");
}
