using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using DeepScratch.Cli.Console;
using DeepScratch.Cli.Rendering;
using DeepScratch.Data;
using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Serialization;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Cli.Commands;

/// <summary><c>deepscratch train</c>: trains the book's TwoLayerNet or a MultiLayerNet(Extend) and saves it (chapters 4-6).</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new TrainerOptions(); // the library's recipe: batch 100, 10 epochs, seed 0
        var model = new Option<string>("--model")
        {
            Description = "two-layer (the book's TwoLayerNet), multi-layer (MultiLayerNet / MultiLayerNetExtend), simple-cnn (SimpleConvNet, chapter 7) or deep-cnn (DeepConvNet, chapter 8).",
            DefaultValueFactory = _ => NetworkFactory.TwoLayer,
        }.AcceptOnly([.. TrainableModels.Names]);
        var hidden = new Option<string?>("--hidden")
        {
            Description = $"Hidden layer sizes, comma-separated (default {NetworkFactory.DefaultHidden(NetworkFactory.TwoLayer)} for two-layer, {NetworkFactory.DefaultHidden(NetworkFactory.MultiLayer)} for multi-layer).",
            HelpName = "N,N,...",
        };
        var activation = new Option<string>("--activation") { Description = "Hidden activation of multi-layer nets.", DefaultValueFactory = _ => NetworkFactory.DefaultActivation }
            .AcceptOnly([.. MultiLayerNet.Activations]);
        var init = new Option<string?>("--init")
        {
            Description = $"Weight init: {WeightInit.Choices} (default {NetworkFactory.DefaultInit(NetworkFactory.TwoLayer)} for two-layer, {NetworkFactory.DefaultInit(NetworkFactory.MultiLayer)} for multi-layer; two-layer takes only a standard deviation).",
            HelpName = "he|xavier|STD",
        };
        var batchnorm = new Option<bool>("--batchnorm") { Description = "Batch normalization after each hidden affine layer (multi-layer)." };
        var dropout = new Option<double>("--dropout") { Description = "Dropout ratio after each hidden activation, 0 for none (multi-layer).", DefaultValueFactory = _ => 0, HelpName = "RATIO" };
        var weightDecay = new Option<double>("--weight-decay") { Description = "L2 weight decay lambda (multi-layer).", DefaultValueFactory = _ => 0, HelpName = "L" };
        var optimizer = new Option<string>("--optimizer") { Description = "Update rule.", DefaultValueFactory = _ => OptimizerFactory.DefaultName }
            .AcceptOnly([.. OptimizerFactory.Names]);
        var lr = new Option<string?>("--lr") { Description = "Learning rate (default: the optimizer's book default).", HelpName = "X" };
        var batchSize = new Option<int>("--batch-size") { Description = "Minibatch size.", DefaultValueFactory = _ => defaults.BatchSize, HelpName = "N" };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training set (not with --iterations).", DefaultValueFactory = _ => defaults.Epochs, HelpName = "N" };
        var iterations = new Option<int?>("--iterations") { Description = "Train for this many minibatches instead of whole epochs (the book's ch.5 recipe: 10000).", HelpName = "N" };
        var evalSample = new Option<int>("--eval-sample")
        {
            Description = "Examples of each set measured after every epoch (the book's evaluate_sample_num_per_epoch); 0 for the whole sets. The end of the run always measures the whole test set.",
            DefaultValueFactory = _ => defaults.EvaluationSample,
            HelpName = "N",
        };
        var dataset = CommonOptions.Dataset(modelDefault: false);
        var seed = new Option<int>("--seed") { Description = "Seeds weights, shuffling and dropout: the same seed gives the same run.", DefaultValueFactory = _ => defaults.Seed, HelpName = "N" };
        var output = new Option<string>("--out") { Description = "Model file to write (safetensors).", DefaultValueFactory = _ => "model.safetensors", HelpName = "FILE.safetensors" };
        var plot = new Option<string?>("--plot") { Description = "Learning-curve PNG to write.", HelpName = "FILE.png" };
        var data = CommonOptions.Data();
        var command = new Command("train", "Train a network on MNIST or Fashion-MNIST, save it as safetensors and optionally plot its learning curve.")
        {
            model, hidden, activation, init, batchnorm, dropout, weightDecay, optimizer, lr, batchSize, epochs, iterations, evalSample, dataset, seed, output, plot, data,
        };
        command.SetAction(r => ErrorReporter.Run(() => Run(new Settings(
            r.GetValue(model)!, r.GetValue(hidden), r.GetValue(activation)!, r.GetValue(init), r.GetValue(batchnorm), r.GetValue(dropout),
            r.GetValue(weightDecay), r.GetValue(optimizer)!, ParseLearningRate(r.GetValue(lr)), r.GetValue(batchSize), r.GetValue(epochs),
            EpochsOrIterations(r.GetResult(epochs), r.GetValue(iterations)),
            CommonOptions.ParseDataset(r.GetValue(dataset)!), r.GetValue(seed), r.GetValue(output)!, r.GetValue(plot), r.GetValue(data),
            r.GetValue(evalSample)))));
        return command;
    }

    /// <summary>Bounds that keep a typo from asking for gigabytes of weights or billions of iterations.</summary>
    private const int MaxLayerSize = 10_000;
    private const int MaxEpochs = 100_000;

    private sealed record Settings(
        string Model, string? Hidden, string Activation, string? Init, bool BatchNorm, double Dropout, double WeightDecay,
        string Optimizer, double? LearningRate, int BatchSize, int Epochs, int? Iterations, DatasetKind Dataset, int Seed,
        string Output, string? Plot, string? DataDir, int EvalSample);

    private static int Run(Settings s)
    {
        Validate(s);
        CommonOptions.CheckOutput(s.Output, "--out");
        CommonOptions.CheckOutput(s.Plot, "--plot");
        // The parser has checked the name against OptimizerFactory.Names: what the factory can still refuse is the rate.
        var optimizer = UserError.Check("--lr", () => OptimizerFactory.Create(s.Optimizer, s.LearningRate));

        using var interrupt = new Interrupt();
        var store = CommonOptions.Store(s.DataDir);
        var progress = new ConsoleProgress();
        interrupt.OnAbort = progress.EndLine;
        DeepScratch.Tensors.Tensor xTrain, tTrain, xTest, tTest;
        try
        {
            // All four files in one call, so an empty folder names every missing one at once.
            var paths = store.Ensure([.. Mnist.Files(s.Dataset, DatasetSplit.Train), .. Mnist.Files(s.Dataset, DatasetSplit.Test)], progress);
            (string?, string)[] inputs = [(paths[0], "the train images"), (paths[1], "the train labels"), (paths[2], "the test images"), (paths[3], "the test labels")];
            CommonOptions.CheckOutput(s.Output, "--out", inputs);
            CommonOptions.CheckOutput(s.Plot, "--plot", inputs);
            var train = Mnist.Read(paths[0], paths[1]);
            var test = Mnist.Read(paths[2], paths[3]);
            (xTrain, tTrain) = (train.ImageTensor(normalize: true, flatten: !TrainableModels.IsConvolutional(s.Model)), train.LabelTensor(oneHot: false));
            (xTest, tTest) = (test.ImageTensor(normalize: true, flatten: !TrainableModels.IsConvolutional(s.Model)), test.LabelTensor(oneHot: false));
        }
        finally
        {
            progress.EndLine(); // a failed download must not leave the error on the end of its progress line
        }

        var network = Build(s, xTrain.Dim(1));
        var options = new TrainerOptions(s.BatchSize, s.Epochs, s.Iterations, s.Seed, s.EvalSample);
        int examples = xTrain.Dim(0);
        int perEpoch = Trainer.IterationsPerEpoch(examples, s.BatchSize);
        int total = Trainer.TotalIterations(examples, options);
        var inv = CultureInfo.InvariantCulture;
        // Every value as the run uses it, defaults included, so the header can be pasted back as options.
        static string Plural(string count, string noun) => count == "1" ? $"1 {noun}" : $"{count} {noun}s";
        string length = s.Iterations is int it
            ? $"{Plural(it.ToString(inv), "iteration")} ({Plural(((double)it / perEpoch).ToString("0.##", inv), "epoch")} of {perEpoch})"
            : $"{Plural(s.Epochs.ToString(inv), "epoch")} of {Plural(perEpoch.ToString(inv), "iteration")} ({Plural(total.ToString(inv), "iteration")})";
        System.Console.WriteLine($"Training {network.Description} on {Catalog.DisplayName(s.Dataset)} ({examples} train, {xTest.Dim(0)} test images), "
            + string.Create(inv, $"{s.Optimizer} lr {optimizer.LearningRate:R}") + (s.LearningRate is null ? $" ({s.Optimizer} default)" : "")
            + $", init {InitText(s)}, batch {Math.Min(s.BatchSize, examples)}, {length}"
            + (s.WeightDecay > 0 ? string.Create(inv, $", weight decay {s.WeightDecay:R}") : "") + $", seed {s.Seed}");

        var trainer = new Trainer(network, optimizer, options);
        var display = new TrainingDisplay();
        interrupt.OnAbort = display.EndLine;
        TrainingHistory history;
        try
        {
            history = trainer.Fit(xTrain, tTrain, xTest, tTest, display, interrupt.Token);
        }
        catch (OperationCanceledException) when (interrupt.Token.IsCancellationRequested)
        {
            display.EndLine();
            return interrupt.Report();
        }
        catch (TrainingDivergedException e)
        {
            display.EndLine();
            throw new TrainingDivergedException($"{e.Diagnosis} {Advice(e, s, optimizer)}");
        }

        display.EndLine();
        if (!interrupt.BeginSaving())
        {
            return interrupt.Report();
        }

        var metadata = new Dictionary<string, string>
        {
            [ModelFile.DatasetKey] = Catalog.FolderName(s.Dataset),
            ["optimizer"] = s.Optimizer,
            ["iterations"] = history.Loss.Count.ToString(inv),
            ["learning_rate"] = optimizer.LearningRate.ToString("R", inv),
            ["batch_size"] = Math.Min(s.BatchSize, examples).ToString(inv),
            ["seed"] = s.Seed.ToString(inv),
            ["test_accuracy"] = history.TestAccuracy[^1].ToString("0.0000", inv),
        };
        ModelFile.Save(s.Output, network, metadata);
        double iterationSeconds = history.EpochTimes.Sum(t => t.TotalSeconds) / history.Loss.Count;
        var (trainCount, testCount) = history.SampleSizes[^1];
        System.Console.WriteLine(string.Create(inv, $"Test accuracy: {history.TestAccuracy[^1]:0.0000}"));
        System.Console.WriteLine(string.Create(inv, $"Train accuracy: {history.TrainAccuracy[^1]:0.0000}"));
        System.Console.WriteLine($"(test: all {testCount} test images; train: {(trainCount == examples ? $"all {trainCount}" : $"the first {trainCount}")} training images, --eval-sample)");
        // Per iteration times a full epoch's iterations, so a short last epoch does not flatter the figure; a run
        // shorter than an epoch says that the figure is an estimate.
        string over = history.Loss.Count >= perEpoch
            ? $"on average over {history.Loss.Count} iterations, {perEpoch} per epoch"
            : $"estimated from {history.Loss.Count} iterations (an epoch is {perEpoch})";
        System.Console.WriteLine(string.Create(inv,
            $"Epoch time: {iterationSeconds * perEpoch:0.000} s {over} (forward, backward and update; accuracy passes excluded), {history.Elapsed.TotalSeconds:0.0} s in all"));
        System.Console.WriteLine($"Saved {s.Output}");
        if (s.Plot is not null)
        {
            AtomicFile.Write(s.Plot, stream => LearningCurve.Write(stream, history, $"{network.Description} on {Catalog.DisplayName(s.Dataset)}"));
            System.Console.WriteLine($"Wrote {s.Plot}");
        }

        return 0;
    }

    /// <summary>The library's diagnosis plus advice naming this command's option and the value the run used.</summary>
    private static string Advice(TrainingDivergedException e, Settings s, IOptimizer optimizer)
    {
        var inv = CultureInfo.InvariantCulture;
        string lr = optimizer.LearningRate.ToString("R", inv);
        if (e.Cause == DivergenceCause.WeightDecay)
        {
            return string.Create(inv, $"The weight-decay term dominates the loss (--weight-decay {s.WeightDecay:G3}; λ·ΣW²/2 is over 1000 times the data loss before training): lower it, e.g. --weight-decay 0.1 (the book's).");
        }

        return e.Cause == DivergenceCause.InitialWeights
            ? $"The initial weights are too large ({(s.Init is null ? InitText(s) : $"--init {s.Init}")}): use a smaller --init, such as "
              + (s.Model == NetworkFactory.TwoLayer ? $"{NetworkFactory.DefaultInit(NetworkFactory.TwoLayer)} (the book's)" : "he or xavier") + "."
            : $"The learning rate is too large (--lr {lr}" + (s.LearningRate is null ? $", the {s.Optimizer} default" : "")
              + string.Create(inv, $"): lower it, e.g. --lr {optimizer.LearningRate / 10:G3}.");
    }

    /// <summary>The weight initialisation as the run uses it, e.g. "std 0.01 (two-layer default)" or "he".</summary>
    private static string InitText(Settings s)
    {
        string init = s.Init ?? NetworkFactory.DefaultInit(s.Model);
        string text = WeightInit.FixedStd(init) is null ? init : $"std {init}";
        return s.Init is null ? $"{text} ({s.Model} default)" : text;
    }

    /// <summary>--iterations replaces --epochs: both given would silently ignore one, so that is refused.</summary>
    private static int? EpochsOrIterations(System.CommandLine.Parsing.OptionResult? epochs, int? iterations) =>
        iterations is not null && epochs is { Implicit: false }
            ? throw new UserError("--epochs and --iterations both set the length of the run: give one of them.")
            : iterations;

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

        if (s.EvalSample < 0)
        {
            throw new UserError($"--eval-sample must be 0 (the whole sets) or more; got {s.EvalSample}.");
        }

        if (s.Iterations is < 1)
        {
            throw new UserError($"--iterations must be at least 1; got {s.Iterations}.");
        }

        UserError.Check("--dropout", () => Dropout.CheckRatio(s.Dropout));

        // Checked as the float the optimizers compute with (1e39 would become infinity, 1e-50 zero); the library's
        // check is on the double, which its tests pin (double.Epsilon is accepted there).
        if (s.LearningRate is double lr && !((float)lr > 0 && float.IsFinite((float)lr)))
        {
            if (lr > 0 && (float)lr == 0)
            {
                throw new UserError(string.Create(CultureInfo.InvariantCulture,
                    $"--lr {lr:G4} rounds to 0 in float32, the precision training uses (the smallest positive float32 is 1.4e-45): give a larger learning rate, such as 0.01."));
            }

            if (double.IsFinite(lr) && lr > 0)
            {
                throw new UserError(string.Create(CultureInfo.InvariantCulture,
                    $"--lr {lr:G4} is beyond float32, the precision training uses (the largest is 3.4e+38): give a learning rate such as 0.01."));
            }

            throw new UserError($"--lr must be a positive number; got {lr.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (!(s.WeightDecay >= 0 && double.IsFinite(s.WeightDecay)))
        {
            throw new UserError($"--weight-decay must be 0 or more; got {s.WeightDecay.ToString(CultureInfo.InvariantCulture)}.");
        }

        CheckApplies(s);
        int[] sizes = TrainableModels.Settings(s.Model).Contains(TrainableModels.Hidden) ? HiddenSizes(s) : [];
        if (sizes.Any(h => h > MaxLayerSize))
        {
            throw new UserError($"--hidden layer sizes must be at most {MaxLayerSize}; got {string.Join(",", sizes)}.");
        }

        if (s.Epochs > MaxEpochs)
        {
            throw new UserError($"--epochs must be at most {MaxEpochs}; got {s.Epochs}.");
        }

        if (s.Plot is not null && AtomicFile.IsSameFile(s.Plot, s.Output))
        {
            throw new UserError($"--out and --plot name the same file ({s.Output}): the picture would replace the model.");
        }

        if (s.Model == NetworkFactory.TwoLayer && sizes.Length != 1)
        {
            throw new UserError($"--model two-layer has one hidden layer; got {sizes.Length} sizes in --hidden.");
        }

        // Checked before the data loads, like every other option, by the library's one parser of init specs.
        if (s.Init is not null && UserError.Check("--init", () => WeightInit.FixedStd(s.Init)) is null && s.Model == NetworkFactory.TwoLayer)
        {
            throw new UserError($"--model two-layer takes a standard deviation for --init (the book's weight_init_std), not the scheme '{s.Init}'.");
        }
    }

    /// <summary>The option of each architecture setting (the library's <see cref="TrainableModels.Settings"/> names them).</summary>
    private static readonly (string Setting, string Option)[] SettingOptions =
    [
        (TrainableModels.Hidden, "--hidden"), (TrainableModels.Activation, "--activation"), (TrainableModels.Init, "--init"),
        (TrainableModels.BatchNorm, "--batchnorm"), (TrainableModels.Dropout, "--dropout"), (TrainableModels.WeightDecay, "--weight-decay"),
    ];

    /// <summary>Refuses, in one line, the options given that the chosen network does not take (they would be ignored).</summary>
    private static void CheckApplies(Settings s)
    {
        bool Given(string setting) => setting switch
        {
            TrainableModels.Hidden => s.Hidden is not null,
            TrainableModels.Activation => s.Activation != NetworkFactory.DefaultActivation,
            TrainableModels.Init => s.Init is not null,
            TrainableModels.BatchNorm => s.BatchNorm,
            TrainableModels.Dropout => s.Dropout > 0,
            _ => s.WeightDecay > 0,
        };

        var takes = TrainableModels.Settings(s.Model);
        var refused = SettingOptions.Where(o => Given(o.Setting) && !takes.Contains(o.Setting)).ToArray();
        if (refused.Length == 0)
        {
            return;
        }

        static string Join(IEnumerable<string> items)
        {
            var list = items.ToList();
            return list.Count switch { 0 => "", 1 => list[0], _ => $"{string.Join(", ", list[..^1])} and {list[^1]}" };
        }

        string names = Join(refused.Select(o => o.Option));
        string own = takes.Count == 0 ? "none of these options" : "only " + Join(SettingOptions.Where(o => takes.Contains(o.Setting)).Select(o => o.Option));
        string elsewhere = Join(refused.Select(o => $"{o.Option} is for {Join(TrainableModels.Names.Where(m => TrainableModels.Settings(m).Contains(o.Setting)))}"));
        throw new UserError($"{names} {(refused.Length == 1 ? "does" : "do")} not apply to --model {s.Model}, which takes {own}: {elsewhere}.");
    }

    private static int[] HiddenSizes(Settings s) =>
        UserError.Check("--hidden", () => NetworkFactory.ParseHidden(s.Hidden ?? NetworkFactory.DefaultHidden(s.Model)));

    /// <summary>
    /// The network the options describe, built by the library's one factory from an architecture (the same text a
    /// model file stores): "multi-layer" with --batchnorm or --dropout is the book's MultiLayerNetExtend.
    /// </summary>
    private static INetwork Build(Settings s, int inputs)
    {
        var inv = CultureInfo.InvariantCulture;
        if (TrainableModels.IsConvolutional(s.Model))
        {
            // Images (1, 28, 28) and 10 classes are the networks' defaults; the settings are those CheckApplies let through.
            var convolutional = new Dictionary<string, string> { ["model"] = s.Model, ["weight_decay"] = s.WeightDecay.ToString("R", inv) };
            if (s.Init is not null)
            {
                convolutional["init"] = s.Init;
            }

            if (s.Dropout > 0)
            {
                convolutional["dropout"] = s.Dropout.ToString("R", inv);
            }

            return NetworkFactory.Create(convolutional, s.Seed);
        }

        bool extend = s.Model == NetworkFactory.MultiLayer && (s.BatchNorm || s.Dropout > 0);
        var architecture = new Dictionary<string, string>
        {
            ["model"] = extend ? NetworkFactory.MultiLayerExtend : s.Model,
            ["input"] = inputs.ToString(inv),
            ["hidden"] = string.Join(",", HiddenSizes(s).Select(h => h.ToString(inv))),
            ["output"] = Mnist.Classes.ToString(inv),
        };
        if (s.Init is not null)
        {
            architecture["init"] = s.Init;
        }

        if (s.Model == NetworkFactory.MultiLayer)
        {
            architecture["activation"] = s.Activation;
            architecture["weight_decay"] = s.WeightDecay.ToString("R", inv);
        }

        if (extend)
        {
            architecture["batchnorm"] = s.BatchNorm ? "true" : "false";
            architecture["dropout"] = s.Dropout > 0 ? s.Dropout.ToString("R", inv) : "none";
        }

        return NetworkFactory.Create(architecture, s.Seed);
    }

    /// <summary>Progress on stderr: a live line on a terminal; one line per epoch on stdout either way.</summary>
    private sealed class TrainingDisplay : IProgress<TrainingProgress>
    {
        private readonly bool _interactive = !System.Console.IsErrorRedirected;
        private readonly Lock _lock = new();
        private DateTime _lastDraw;
        private bool _lineOpen;

        public void Report(TrainingProgress p)
        {
            var inv = CultureInfo.InvariantCulture;
            lock (_lock)
            {
                if (p.TestAccuracy is double test)
                {
                    if (_lineOpen)
                    {
                        System.Console.Error.Write("\r" + new string(' ', 100) + "\r");
                        _lineOpen = false;
                    }

                    // How many examples each accuracy covers: a sample per epoch, the whole test set at the end.
                    System.Console.WriteLine(string.Create(inv,
                        $"epoch {p.Epoch,3}  iteration {p.Iteration,6}/{p.TotalIterations}  loss {p.Loss:0.0000}  train {p.TrainAccuracy:0.0000} (of {p.TrainExamples})  test {test:0.0000} (of {p.TestExamples})  ({p.Elapsed.TotalSeconds:0.0} s)"));
                    return;
                }

                if (_interactive && (DateTime.UtcNow - _lastDraw).TotalMilliseconds >= 100)
                {
                    _lastDraw = DateTime.UtcNow;
                    _lineOpen = true;
                    System.Console.Error.Write(string.Create(inv,
                        $"\repoch {p.Epoch}  iteration {p.Iteration}/{p.TotalIterations}  loss {p.Loss:0.0000}  elapsed {p.Elapsed.TotalSeconds:0}s  ETA {p.Remaining.TotalSeconds:0}s   "));
                }
            }
        }

        /// <summary>Ends a live line still on the screen, so what follows (an error, "interrupted") starts on its own line.</summary>
        public void EndLine()
        {
            lock (_lock)
            {
                if (_lineOpen)
                {
                    System.Console.Error.WriteLine();
                    _lineOpen = false;
                }
            }
        }
    }

    /// <summary>
    /// Ctrl-C (SIGINT) and SIGTERM while training: the run stops at the next iteration, ends the progress line, says
    /// that nothing was saved and exits 128 + the signal number (130, 143), as shells expect. While the data loads
    /// (not cancellable) the process ends at once, after the same message; once the model is being saved the signal
    /// waits for the atomic save to finish, so the file at --out is always the old model or the new one, whole.
    /// </summary>
    private sealed class Interrupt : IDisposable
    {
        private const string Message = "interrupted: nothing saved (the file at --out is unchanged)";
        private readonly CancellationTokenSource _cancel = new();
        private readonly PosixSignalRegistration[] _registrations;
        private readonly Lock _lock = new();
        private int _phase; // 0 loading, 1 training, 2 saving
        private int _exitCode;

        public Interrupt()
        {
            _registrations =
            [
                PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
                PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            ];
        }

        /// <summary>Called before the process ends on a signal while loading: ends any progress line.</summary>
        public Action? OnAbort { get; set; }

        public CancellationToken Token
        {
            get
            {
                lock (_lock)
                {
                    _phase = Math.Max(_phase, 1);
                }

                return _cancel.Token;
            }
        }

        /// <summary>Enters the saving phase (signals then wait for the save); false when a signal came first.</summary>
        public bool BeginSaving()
        {
            lock (_lock)
            {
                if (_cancel.IsCancellationRequested)
                {
                    return false;
                }

                _phase = 2;
                return true;
            }
        }

        /// <summary>Prints the interruption line and returns the exit code for the signal received.</summary>
        public int Report()
        {
            System.Console.Error.WriteLine(Message);
            return _exitCode;
        }

        public void Dispose()
        {
            foreach (var registration in _registrations)
            {
                registration.Dispose();
            }

            _cancel.Dispose();
        }

        private void OnSignal(PosixSignalContext context)
        {
            lock (_lock)
            {
                if (_exitCode == 0)
                {
                    _exitCode = context.Signal == PosixSignal.SIGTERM ? 143 : 130;
                }

                if (_phase == 0)
                {
                    // Loading cannot be cancelled: let the signal end the process, after the message.
                    OnAbort?.Invoke();
                    System.Console.Error.WriteLine(Message);
                    return;
                }

                context.Cancel = true;
                if (_phase == 1)
                {
                    _cancel.Cancel();
                }
            }
        }
    }
}
