using System.CommandLine;
using System.Globalization;
using DeepScratch.Cli.Console;
using DeepScratch.Cli.Rendering;
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Serialization;
using DeepScratch.Training;

namespace DeepScratch.Cli.Commands;

/// <summary><c>deepscratch train</c>: trains the book's TwoLayerNet or a MultiLayerNet(Extend) and saves it (chapters 4-6).</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "two-layer (the book's TwoLayerNet) or multi-layer (MultiLayerNet / MultiLayerNetExtend).", DefaultValueFactory = _ => "two-layer" }
            .AcceptOnly(NetworkFactory.TwoLayer, NetworkFactory.MultiLayer);
        var hidden = new Option<string?>("--hidden") { Description = "Hidden layer sizes, comma-separated (default 50 for two-layer, 100,100,100 for multi-layer).", HelpName = "N,N,..." };
        var activation = new Option<string>("--activation") { Description = "Hidden activation of multi-layer nets.", DefaultValueFactory = _ => "relu" }
            .AcceptOnly("relu", "sigmoid");
        var init = new Option<string?>("--init") { Description = "Weight init: he, xavier or a standard deviation (default 0.01 for two-layer, he for multi-layer).", HelpName = "he|xavier|STD" };
        var batchnorm = new Option<bool>("--batchnorm") { Description = "Batch normalization after each hidden affine layer (multi-layer)." };
        var dropout = new Option<double>("--dropout") { Description = "Dropout ratio after each hidden activation, 0 for none (multi-layer).", DefaultValueFactory = _ => 0, HelpName = "RATIO" };
        var weightDecay = new Option<double>("--weight-decay") { Description = "L2 weight decay lambda (multi-layer).", DefaultValueFactory = _ => 0, HelpName = "L" };
        var optimizer = new Option<string>("--optimizer") { Description = "Update rule.", DefaultValueFactory = _ => "sgd" }
            .AcceptOnly([.. OptimizerFactory.Names]);
        var lr = new Option<string?>("--lr") { Description = "Learning rate (default: the optimizer's book default).", HelpName = "X" };
        var batchSize = new Option<int>("--batch-size") { Description = "Minibatch size.", DefaultValueFactory = _ => 100, HelpName = "N" };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training set.", DefaultValueFactory = _ => 10, HelpName = "N" };
        var iterations = new Option<int?>("--iterations") { Description = "Train for this many minibatches instead of whole epochs (the book's ch.5 recipe: 10000).", HelpName = "N" };
        var dataset = CommonOptions.Dataset(modelDefault: false);
        var seed = new Option<int>("--seed") { Description = "Seeds weights, shuffling and dropout: the same seed gives the same run.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var output = new Option<string>("--out") { Description = "Model file to write (safetensors).", DefaultValueFactory = _ => "model.safetensors", HelpName = "FILE.safetensors" };
        var plot = new Option<string?>("--plot") { Description = "Learning-curve PNG to write.", HelpName = "FILE.png" };
        var data = CommonOptions.Data();
        var command = new Command("train", "Train a network on MNIST or Fashion-MNIST, save it as safetensors and optionally plot its learning curve.")
        {
            model, hidden, activation, init, batchnorm, dropout, weightDecay, optimizer, lr, batchSize, epochs, iterations, dataset, seed, output, plot, data,
        };
        command.SetAction(r => ErrorReporter.Run(() => Run(new Settings(
            r.GetValue(model)!, r.GetValue(hidden), r.GetValue(activation)!, r.GetValue(init), r.GetValue(batchnorm), r.GetValue(dropout),
            r.GetValue(weightDecay), r.GetValue(optimizer)!, ParseLearningRate(r.GetValue(lr)), r.GetValue(batchSize), r.GetValue(epochs), r.GetValue(iterations),
            CommonOptions.ParseDataset(r.GetValue(dataset)!), r.GetValue(seed), r.GetValue(output)!, r.GetValue(plot), r.GetValue(data)))));
        return command;
    }

    /// <summary>Bounds that keep a typo from asking for gigabytes of weights or billions of iterations.</summary>
    private const int MaxLayerSize = 10_000;
    private const int MaxEpochs = 100_000;

    private sealed record Settings(
        string Model, string? Hidden, string Activation, string? Init, bool BatchNorm, double Dropout, double WeightDecay,
        string Optimizer, double? LearningRate, int BatchSize, int Epochs, int? Iterations, DatasetKind Dataset, int Seed,
        string Output, string? Plot, string? DataDir);

    private static int Run(Settings s)
    {
        Validate(s);
        CommonOptions.CheckOutput(s.Output, "--out");
        CommonOptions.CheckOutput(s.Plot, "--plot");
        IOptimizer optimizer;
        try
        {
            optimizer = OptimizerFactory.Create(s.Optimizer, s.LearningRate);
        }
        catch (ArgumentException e)
        {
            throw new UserError(e.Message);
        }

        var store = CommonOptions.Store(s.DataDir);
        var progress = new ConsoleProgress();
        var (xTrain, tTrain) = Mnist.Load(DatasetSplit.Train, normalize: true, flatten: true, oneHotLabel: false, store, s.Dataset, progress);
        var (xTest, tTest) = Mnist.Load(DatasetSplit.Test, normalize: true, flatten: true, oneHotLabel: false, store, s.Dataset, progress);
        var network = Build(s, xTrain.Dim(1));
        System.Console.WriteLine($"Training {Describe(network)} on {Catalog.DisplayName(s.Dataset)} ({xTrain.Dim(0)} train, {xTest.Dim(0)} test images), "
            + $"{s.Optimizer} lr {s.LearningRate?.ToString(CultureInfo.InvariantCulture) ?? "default"}, batch {s.BatchSize}, "
            + (s.Iterations is int it ? $"{it} iterations" : $"{s.Epochs} epochs") + $", seed {s.Seed}");

        var trainer = new Trainer(network, optimizer, new TrainerOptions(s.BatchSize, s.Epochs, s.Iterations, s.Seed));
        var history = trainer.Fit(xTrain, tTrain, xTest, tTest, new TrainingDisplay());

        var inv = CultureInfo.InvariantCulture;
        var metadata = new Dictionary<string, string>
        {
            ["dataset"] = Catalog.FolderName(s.Dataset),
            ["optimizer"] = s.Optimizer,
            ["iterations"] = history.Loss.Count.ToString(inv),
            ["batch_size"] = s.BatchSize.ToString(inv),
            ["seed"] = s.Seed.ToString(inv),
            ["test_accuracy"] = history.TestAccuracy[^1].ToString("0.0000", inv),
        };
        ModelFile.Save(s.Output, network, metadata);
        // Per iteration times a full epoch's iterations, so a short last epoch does not flatter the figure.
        int perEpoch = Math.Max(xTrain.Dim(0) / Math.Min(s.BatchSize, xTrain.Dim(0)), 1);
        double meanEpoch = history.EpochTimes.Sum(t => t.TotalSeconds) / history.Loss.Count * perEpoch;
        System.Console.WriteLine(string.Create(inv, $"Test accuracy: {history.TestAccuracy[^1]:0.0000}"));
        System.Console.WriteLine(string.Create(inv, $"Train accuracy: {history.TrainAccuracy[^1]:0.0000}"));
        System.Console.WriteLine(string.Create(inv,
            $"Epoch time: {meanEpoch:0.000} s on average for {perEpoch} iterations (forward, backward and update; accuracy passes excluded), {history.Elapsed.TotalSeconds:0.0} s in all"));
        System.Console.WriteLine($"Saved {s.Output}");
        if (s.Plot is not null)
        {
            AtomicFile.Write(s.Plot, stream => LearningCurve.Write(stream, history, $"{Describe(network)} on {Catalog.DisplayName(s.Dataset)}"));
            System.Console.WriteLine($"Wrote {s.Plot}");
        }

        return 0;
    }

    private static double? ParseLearningRate(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double lr))
        {
            throw new UserError($"--lr must be a positive number; got '{text}'.");
        }

        return lr;
    }

    private static void Validate(Settings s)
    {
        if (s.BatchSize < 1)
        {
            throw new UserError($"--batch-size must be at least 1; got {s.BatchSize}.");
        }

        if (s.Epochs < 1)
        {
            throw new UserError($"--epochs must be at least 1; got {s.Epochs}.");
        }

        if (s.Iterations is < 1)
        {
            throw new UserError($"--iterations must be at least 1; got {s.Iterations}.");
        }

        // Checked as the float the optimizers compute with: 1e39 would become infinity, 1e-50 zero.
        if (s.LearningRate is double lr && !((float)lr > 0 && float.IsFinite((float)lr)))
        {
            throw new UserError($"--lr must be a positive number; got {lr.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (!(s.Dropout >= 0 && s.Dropout < 1))
        {
            throw new UserError($"--dropout must be at least 0 and below 1; got {s.Dropout.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (!(s.WeightDecay >= 0 && double.IsFinite(s.WeightDecay)))
        {
            throw new UserError($"--weight-decay must be 0 or more; got {s.WeightDecay.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (s.Model == "two-layer" && (s.BatchNorm || s.Dropout > 0 || s.WeightDecay > 0 || s.Activation != "relu"))
        {
            throw new UserError("--batchnorm, --dropout, --weight-decay and --activation need --model multi-layer (TwoLayerNet is the book's plain Affine-ReLU-Affine).");
        }

        var sizes = HiddenSizes(s);
        if (sizes.Any(h => h > MaxLayerSize))
        {
            throw new UserError($"--hidden layer sizes must be at most {MaxLayerSize}; got {string.Join(",", sizes)}.");
        }

        if (s.Epochs > MaxEpochs)
        {
            throw new UserError($"--epochs must be at most {MaxEpochs}; got {s.Epochs}.");
        }

        if (s.Plot is not null && Path.GetFullPath(s.Plot) == Path.GetFullPath(s.Output))
        {
            throw new UserError($"--out and --plot name the same file ({s.Output}): the picture would replace the model.");
        }

        if (s.Model == "two-layer" && sizes.Length != 1)
        {
            throw new UserError($"--model two-layer has one hidden layer; got {sizes.Length} sizes in --hidden.");
        }

        if (s.Init is not null && s.Init is not ("he" or "xavier") && !(TryParsePositive(s.Init, out _)))
        {
            throw new UserError($"--init must be he, xavier or a positive standard deviation; got '{s.Init}'.");
        }
    }

    private static int[] HiddenSizes(Settings s)
    {
        string text = s.Hidden ?? (s.Model == "two-layer" ? "50" : "100,100,100");
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 1)
            {
                throw new UserError($"--hidden takes positive layer sizes separated by commas, like 100,100; '{parts[i]}' is not one.");
            }
        }

        return sizes;
    }

    private static bool TryParsePositive(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value > 0 && double.IsFinite(value);

    private static INetwork Build(Settings s, int inputs)
    {
        var sizes = HiddenSizes(s);
        if (s.Model == "two-layer")
        {
            double std = s.Init is not null && TryParsePositive(s.Init, out double v) ? v : 0.01;
            if (s.Init is "he" or "xavier")
            {
                throw new UserError("--model two-layer takes a standard deviation for --init (the book's weight_init_std), not he or xavier.");
            }

            return new TwoLayerNet(inputs, sizes[0], Mnist.Classes, std, s.Seed);
        }

        string init = s.Init ?? "he";
        return s.BatchNorm || s.Dropout > 0
            ? new MultiLayerNetExtend(inputs, sizes, Mnist.Classes, s.Activation, init, s.WeightDecay, useDropout: s.Dropout > 0, dropoutRatio: s.Dropout, useBatchnorm: s.BatchNorm, seed: s.Seed)
            : new MultiLayerNet(inputs, sizes, Mnist.Classes, s.Activation, init, s.WeightDecay, s.Seed);
    }

    /// <summary>A short description from the architecture, e.g. "multi-layer 784-100-100-10 relu, batchnorm".</summary>
    public static string Describe(INetwork network)
    {
        var a = network.Architecture;
        string Get(string key) => a.TryGetValue(key, out var v) ? v : "";
        string layers = $"{Get("input")}-{Get("hidden").Replace(',', '-')}-{Get("output")}";
        var extras = new List<string>();
        if (Get("activation") is { Length: > 0 } act)
        {
            extras.Add(act);
        }

        if (Get("batchnorm") == "true")
        {
            extras.Add("batchnorm");
        }

        if (Get("dropout") is { Length: > 0 } d && d is not ("0" or "none"))
        {
            extras.Add($"dropout {d}");
        }

        return $"{Get("model")} {layers}" + (extras.Count > 0 ? $" ({string.Join(", ", extras)})" : "");
    }

    /// <summary>Progress on stderr: a live line on a terminal; one line per epoch on stdout either way.</summary>
    private sealed class TrainingDisplay : IProgress<TrainingProgress>
    {
        private readonly bool _interactive = !System.Console.IsErrorRedirected;
        private DateTime _lastDraw;

        public void Report(TrainingProgress p)
        {
            var inv = CultureInfo.InvariantCulture;
            if (p.TestAccuracy is double test)
            {
                if (_interactive)
                {
                    System.Console.Error.Write("\r" + new string(' ', 100) + "\r");
                }

                System.Console.WriteLine(string.Create(inv,
                    $"epoch {p.Epoch,3}  iteration {p.Iteration,6}/{p.TotalIterations}  loss {p.Loss:0.0000}  train {p.TrainAccuracy:0.0000}  test {test:0.0000}  ({p.Elapsed.TotalSeconds:0.0} s)"));
                return;
            }

            if (_interactive && (DateTime.UtcNow - _lastDraw).TotalMilliseconds >= 100)
            {
                _lastDraw = DateTime.UtcNow;
                System.Console.Error.Write(string.Create(inv,
                    $"\repoch {p.Epoch}  iteration {p.Iteration}/{p.TotalIterations}  loss {p.Loss:0.0000}  elapsed {p.Elapsed.TotalSeconds:0}s  ETA {p.Remaining.TotalSeconds:0}s   "));
            }
        }
    }
}
