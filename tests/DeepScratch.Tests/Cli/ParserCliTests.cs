namespace DeepScratch.Tests.Cli;

/// <summary>
/// The command line's own mistakes (unknown commands and options, values that are not numbers, missing arguments,
/// choices in another case, folders given for files): one plain line, the right exit code, never a .NET type name.
/// </summary>
public sealed class ParserCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-parser-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("evl", "eval")]
    [InlineData("Eval", "eval")]
    [InlineData("trian", "train")]
    [InlineData("inspec", "inspect")]
    [InlineData("convrt", "convert")]
    [InlineData("gate", "gates")]
    [InlineData("predcit", "predict")]
    public void An_unknown_command_names_the_closest_one(string typed, string meant)
    {
        var r = CliRunner.Run(_dir, typed);
        AssertUsage(r, $"unknown command '{typed}'; did you mean '{meant}'?");
    }

    [Theory]
    [InlineData("help")]
    [InlineData("version")]
    public void Help_and_version_as_commands_point_to_the_options(string typed)
    {
        AssertUsage(CliRunner.Run(_dir, typed), $"unknown command '{typed}'; did you mean '--{typed}'?");
    }

    [Theory]
    [InlineData("FILE needs a file name", "inspect", "")]
    [InlineData("INPUT needs a file name", "convert", " ", "out.safetensors")]
    [InlineData("OUTPUT needs a file name", "convert", "{pkl}", "")]
    [InlineData("OUTPUT needs a file name", "convert", "{pkl}", "  ")]
    public void An_empty_file_argument_is_a_usage_mistake(string message, params string[] args)
    {
        string[] resolved = args.Select(a => a.Replace("{pkl}", TestData.Weights("sample_weight.pkl"))).ToArray();
        AssertUsage(CliRunner.Run(_dir, resolved), message, hint: false);
    }

    [Fact]
    public void An_unknown_command_far_from_every_command_lists_them_all()
    {
        var r = CliRunner.Run(_dir, "frobnicate");
        AssertUsage(r, "unknown command 'frobnicate'; the commands are eval, show, predict, inspect, gates, train, convert, export, misclassified, filters");
        Assert.DoesNotContain("did you mean", r.Stderr);
    }

    [Fact]
    public void No_command_prints_the_help_on_stdout_with_exit_0()
    {
        var r = CliRunner.Run(_dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("", r.Stderr);
        Assert.Contains("Usage:\n  deepscratch [command] [options]", r.Stdout.Replace("\r", ""));
        foreach (string command in new[] { "eval", "show", "predict", "inspect", "gates", "train", "convert", "misclassified", "filters" })
        {
            Assert.Matches($@"(?m)^  {command} ", r.Stdout);
        }
    }

    [Theory]
    [InlineData("eval", "--batch-size", "N")]
    [InlineData("train", "--batch-size", "N")]
    [InlineData("train", "--epochs", "N")]
    [InlineData("train", "--iterations", "N")]
    [InlineData("train", "--seed", "N")]
    [InlineData("train", "--dropout", "X")]
    [InlineData("train", "--weight-decay", "X")]
    public void A_non_number_for_a_number_option_says_what_it_needs(string command, string option, string kind)
    {
        string needs = kind == "N" ? "a whole number" : "a number";
        foreach (string bad in new[] { "x", "1,5", "ten", "0x10", "" })
        {
            if (kind == "X" && bad == "1,5")
            {
                continue;
            }

            var r = CliRunner.Run(_dir, command, option, bad);
            AssertUsage(r, $"{option} needs {needs}; got '{bad}'");
        }

        if (kind == "N")
        {
            AssertUsage(CliRunner.Run(_dir, command, option, "2.5"), $"{option} needs a whole number; got '2.5'");
            AssertUsage(CliRunner.Run(_dir, command, option, "99999999999"),
                $"{option} needs a whole number from {(option is "--seed" ? "-2147483648" : "1")} to 2147483647; got '99999999999'");
        }
    }

    [Theory]
    [InlineData("show")]
    [InlineData("predict")]
    public void A_non_number_index_says_what_it_needs(string command)
    {
        var r = CliRunner.Run(_dir, command, "seven");
        AssertUsage(r, "INDEX needs a whole number; got 'seven'");
    }

    [Theory]
    [InlineData("eval", "--batch-size")]
    [InlineData("eval", "--weights")]
    [InlineData("train", "--lr")]
    [InlineData("train", "--dataset")]
    [InlineData("show", "0", "--out")]
    public void An_option_without_its_value_is_named(params string[] args)
    {
        var r = CliRunner.Run(_dir, args);
        AssertUsage(r, $"{args[^1]} needs a value");
    }

    [Theory]
    [InlineData("missing INDEX for 'predict'", "predict")]
    [InlineData("missing INDEX for 'show'", "show")]
    [InlineData("missing FILE for 'inspect'", "inspect")]
    [InlineData("missing INPUT for 'convert'", "convert")]
    [InlineData("missing OUTPUT for 'convert'", "convert", "in.pkl")]
    public void A_missing_argument_is_named(string message, params string[] args)
    {
        AssertUsage(CliRunner.Run(_dir, args), message);
    }

    [Theory]
    [InlineData("eval", "--bach-size", "--batch-size")]
    [InlineData("train", "--optimiser", "--optimizer")]
    [InlineData("show", "--output", "--out")]
    [InlineData("predict", "--weight", "--weights")]
    public void An_unknown_option_names_the_closest_one(string command, string typed, string meant)
    {
        string[] args = command is "show" or "predict" ? [command, "0", typed, "v"] : [command, typed, "1"];
        var r = CliRunner.Run(_dir, args);
        AssertUsage(r, $"unknown option '{typed}' for '{command}'; did you mean '{meant}'?");
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("gates")]
    [InlineData("inspect", "f")]
    [InlineData("train")]
    public void An_unknown_option_far_from_every_option_is_named(params string[] args)
    {
        var r = CliRunner.Run(_dir, [.. args, "--no-such-thing"]);
        AssertUsage(r, $"unknown option '--no-such-thing' for '{args[0]}'");
        Assert.DoesNotContain("did you mean", r.Stderr);
    }

    [Theory]
    [InlineData("'1'", "show", "0", "1")]
    [InlineData("'extra'", "gates", "extra")]
    [InlineData("'maybe'", "eval", "--per-image", "maybe")]
    public void An_extra_argument_is_named(string token, params string[] args)
    {
        AssertUsage(CliRunner.Run(_dir, args), $"unexpected argument {token} for '{args[0]}'");
    }

    [Fact]
    public void An_option_given_twice_is_refused_in_plain_words()
    {
        AssertUsage(CliRunner.Run(_dir, "eval", "--batch-size", "1", "--batch-size", "2"), "--batch-size was given 2 values; give one");
    }

    [Theory]
    [InlineData("--dataset must be mnist or fashion-mnist; got 'cifar'", "eval", "--dataset", "cifar")]
    [InlineData("--set must be test or train; got 'valid'", "show", "0", "--set", "valid")]
    [InlineData("--optimizer must be one of sgd, momentum, nesterov, adagrad, rmsprop, adam; got 'adamw'; did you mean 'adam'?", "train", "--optimizer", "adamw")]
    [InlineData("--model must be one of two-layer, multi-layer, simple-cnn, deep-cnn; got 'cnn'", "train", "--model", "cnn")]
    [InlineData("--activation must be relu or sigmoid; got 'tanh'", "train", "--activation", "tanh")]
    public void A_wrong_choice_lists_the_choices(string message, params string[] args)
    {
        AssertUsage(CliRunner.Run(_dir, args), message);
    }

    [Theory]
    [InlineData("--optimizer", "Adam")]
    [InlineData("--optimizer", "SGD")]
    [InlineData("--model", "Multi-Layer")]
    [InlineData("--activation", "ReLU")]
    [InlineData("--dataset", "Fashion-MNIST")]
    public void Train_choices_ignore_case(string option, string value)
    {
        // The batch-size check runs after parsing and before any data is read: reaching it proves the value was accepted.
        var r = CliRunner.Run(_dir, "train", option, value, "--batch-size", "0");
        AssertUsage(r, "--batch-size must be at least 1; got 0", hint: false);
    }

    [Fact]
    public void Eval_dataset_ignores_case()
    {
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--dataset", "MNIST");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Data:     MNIST test set, 10000 images", r.Stdout);
        Assert.Contains("Accuracy: 0.9352", r.Stdout);
    }

    [Fact]
    public void Show_set_ignores_case()
    {
        var r = CliRunner.Run(_dir, "show", "0", "--set", "TEST", "--dataset", "Mnist", "--data", TestData.Dir, "--out", Path.Combine(_dir, "0.png"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Image 0 of the MNIST test set", r.Stdout);
        Assert.Contains("Label: 7", r.Stdout);
    }

    [Theory]
    [InlineData("--batch-size", "37")]
    [InlineData("--batch-size", "100")]
    public void Eval_per_image_refuses_a_batch_size(string option, string value)
    {
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--per-image", option, value);
        AssertUsage(r, "--per-image and --batch-size cannot be used together");
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData("--weights: {dir} is a folder, not a file", "eval", "--weights", "{dir}")]
    [InlineData("--weights: {dir} is a folder, not a file", "predict", "0", "--weights", "{dir}")]
    [InlineData("FILE: {dir} is a folder, not a file", "inspect", "{dir}")]
    [InlineData("INPUT: {dir} is a folder, not a file", "convert", "{dir}", "{dir}/out.safetensors")]
    [InlineData("OUTPUT: cannot write {dir}: it is a folder", "convert", "{pkl}", "{dir}")]
    [InlineData("--predictions: cannot write {dir}: it is a folder", "eval", "--predictions", "{dir}")]
    [InlineData("--out: cannot write {dir}: it is a folder", "show", "0", "--out", "{dir}")]
    [InlineData("--out: cannot write {dir}: it is a folder", "train", "--out", "{dir}")]
    [InlineData("--plot: cannot write {dir}: it is a folder", "train", "--plot", "{dir}")]
    [InlineData("is a file, not a folder", "eval", "--data", "{pkl}")]
    [InlineData("is a file, not a folder", "show", "0", "--data", "{pkl}")]
    public void A_path_of_the_wrong_kind_is_named_as_such(string message, params string[] args)
    {
        string pkl = TestData.Weights("sample_weight.pkl");
        string[] resolved = args.Select(a => a.Replace("{dir}", _dir).Replace("{pkl}", pkl)).ToArray();
        if (!resolved.Contains("--data") && args[0] is "eval" or "show" or "predict" or "train")
        {
            resolved = [.. resolved, "--data", TestData.Dir];
        }

        var r = CliRunner.Run(_dir, resolved);
        Assert.True(r.ExitCode == 3, $"exit {r.ExitCode}, stderr: {r.Stderr}");
        Assert.Single(r.StderrLines);
        Assert.Contains(message.Replace("{dir}", _dir), r.Stderr);
        Assert.DoesNotContain("not found", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void No_parser_message_shows_a_dotnet_type_or_a_tab()
    {
        string[][] mistakes =
        [
            ["evl"], ["--frob"], ["eval", "--batch-size", "x"], ["eval", "--batch-size"], ["eval", "--dataset", "x"],
            ["eval", "--per-image", "x"], ["eval", "x"], ["show"], ["show", "x"], ["show", "1", "2"], ["show", "0", "--set", "x"],
            ["predict", "-1e9"], ["predict", "0", "--weights"], ["inspect"], ["inspect", "a", "b"], ["convert", "a"],
            ["train", "--epochs", "1.5"], ["train", "--dropout", "half"], ["train", "--weight-decay", "--seed"],
            ["train", "--seed", "s"], ["train", "--iterations", "many"], ["train", "--model", "x"], ["train", "--batchnorm", "x"],
            ["gates", "x"], ["eval", "--batch-size", "1", "--batch-size", "2"],
        ];
        foreach (string[] args in mistakes)
        {
            var r = CliRunner.Run(_dir, args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: exit {r.ExitCode}, stderr: {r.Stderr}");
            Assert.Single(r.StderrLines);
            Assert.StartsWith("deepscratch: error: ", r.StderrLines[0]);
            Assert.DoesNotContain("System.", r.Stderr);
            Assert.DoesNotContain("\t", r.Stderr);
            Assert.DoesNotContain("Int32", r.Stderr);
            Assert.DoesNotContain("Cannot parse", r.Stderr);
            Assert.DoesNotContain("Required command was not provided", r.Stderr);
        }
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("predict")]
    public void Help_gives_the_real_defaults_and_formats(string command)
    {
        var r = CliRunner.Run(_dir, command, "--help");
        Assert.Equal(0, r.ExitCode);
        string help = System.Text.RegularExpressions.Regex.Replace(r.Stdout, @"\s+", " ");
        Assert.Contains($"Usage: deepscratch {command}", help);
        Assert.Contains("Default: the dataset the model was trained on, else mnist.", help);
        Assert.DoesNotContain("[default: mnist]", help);
        Assert.Contains("--dataset <mnist|fashion-mnist>", help);
        Assert.Contains("a numpy pickle of the chapter 3 network (such as the book's sample_weight.pkl) or a safetensors model", help);
    }

    [Fact]
    public void Show_help_gives_mnist_as_its_default_dataset()
    {
        // show reads no model, so the model's dataset cannot be its default.
        var r = CliRunner.Run(_dir, "show", "--help");
        Assert.Equal(0, r.ExitCode);
        string help = System.Text.RegularExpressions.Regex.Replace(r.Stdout, @"\s+", " ");
        Assert.Contains("--dataset <mnist|fashion-mnist> Which images: mnist or fashion-mnist. [default: mnist]", help);
        Assert.DoesNotContain("the model was trained on", help);
    }

    [Fact]
    public void Train_help_gives_its_real_defaults()
    {
        var r = CliRunner.Run(_dir, "train", "--help");
        Assert.Equal(0, r.ExitCode);
        string help = System.Text.RegularExpressions.Regex.Replace(r.Stdout, @"\s+", " ");
        Assert.Contains("--dataset <mnist|fashion-mnist> Which images: mnist or fashion-mnist. [default: mnist]", help);
        Assert.Contains("--seed <N> Seeds weights, shuffling and dropout: the same seed gives the same run. [default: 0]", help);
        Assert.Contains("--optimizer <sgd|momentum|nesterov|adagrad|rmsprop|adam>", help);
    }

    private static void AssertUsage(CliResult r, string message, bool hint = true)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}, stderr: {r.Stderr}");
        Assert.Single(r.StderrLines);
        Assert.StartsWith("deepscratch: error: ", r.StderrLines[0]);
        Assert.Contains(message, r.Stderr);
        if (hint)
        {
            Assert.Contains("--help", r.Stderr);
        }

        Assert.DoesNotContain("System.", r.Stderr);
        Assert.DoesNotContain("\t", r.Stderr);
        Assert.Equal("", r.Stdout);
    }
}
