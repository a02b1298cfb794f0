using DeepScratch.Serialization;
using DeepScratch.Tests.Data;
using DeepScratch.Tests.Serialization;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// QA follow-up of issue 7 through the real <c>deepscratch</c>: no output option overwrites a file the command reads
/// (findings 1, 2: eval --predictions, show --out, train --out/--plot, convert OUTPUT, also through symbolic links);
/// a shared array cannot make convert or inspect do unbounded work (3); convert's notes escape names (6); a data set
/// is read from one folder (5, 8); a named model is checked before the data (9).
/// </summary>
public sealed class InputProtectionCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-input-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Weights()
    {
        string path = Path.Combine(_dir, "w.pkl");
        File.Copy(TestData.Weights("sample_weight.pkl"), path, overwrite: true);
        return path;
    }

    /// <summary>A data folder with a copy of the MNIST test set, as the QA pass's <c>dd</c>.</summary>
    private string DataCopy()
    {
        string mnist = Directory.CreateDirectory(Path.Combine(_dir, "dd", "mnist")).FullName;
        foreach (string name in new[] { "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
        {
            File.Copy(Path.Combine(TestData.Dir, "mnist", name), Path.Combine(mnist, name));
        }

        return Path.Combine(_dir, "dd");
    }

    private static void AssertRefused(CliResult r, string line)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("deepscratch: error: " + line, Assert.Single(r.StderrLines));
    }

    [Fact]
    public void Eval_predictions_naming_the_weights_file_is_refused_and_the_weights_kept()
    {
        string w = Weights();
        byte[] before = File.ReadAllBytes(w);
        string link = Path.Combine(_dir, "link.csv");
        File.CreateSymbolicLink(link, w);

        var direct = CliRunner.Run(_dir, "eval", "--weights", "w.pkl", "--predictions", "w.pkl", "--data", TestData.Dir);
        var linked = CliRunner.Run(_dir, "eval", "--weights", "w.pkl", "--predictions", "link.csv", "--data", TestData.Dir);

        AssertRefused(direct, "--predictions w.pkl is the same file as the model file (w.pkl), which this command reads: writing would overwrite it; give another file name.");
        AssertRefused(linked, "--predictions link.csv is the same file as the model file (w.pkl), which this command reads: writing would overwrite it; give another file name.");
        Assert.Equal(before, File.ReadAllBytes(w));
        Assert.Equal(0, CliRunner.Run(_dir, "eval", "--weights", "w.pkl", "--data", TestData.Dir).ExitCode);
    }

    [Fact]
    public void Eval_predictions_and_show_out_naming_a_test_set_file_are_refused()
    {
        string data = DataCopy();
        string images = Path.Combine(data, "mnist", "t10k-images-idx3-ubyte.gz");
        string labels = Path.Combine(data, "mnist", "t10k-labels-idx1-ubyte.gz");
        byte[] imagesBefore = File.ReadAllBytes(images), labelsBefore = File.ReadAllBytes(labels);
        Weights();

        var eval = CliRunner.Run(_dir, "eval", "--weights", "w.pkl", "--data", "dd", "--predictions", "dd/mnist/t10k-images-idx3-ubyte.gz");
        var show = CliRunner.Run(_dir, "show", "0", "--data", "dd", "--out", "dd/mnist/../mnist/t10k-labels-idx1-ubyte.gz");

        AssertRefused(eval, $"--predictions dd/mnist/t10k-images-idx3-ubyte.gz is the same file as the images file ({images}), which this command reads: writing would overwrite it; give another file name.");
        AssertRefused(show, $"--out dd/mnist/../mnist/t10k-labels-idx1-ubyte.gz is the same file as the labels file ({labels}), which this command reads: writing would overwrite it; give another file name.");
        Assert.Equal(imagesBefore, File.ReadAllBytes(images));
        Assert.Equal(labelsBefore, File.ReadAllBytes(labels));
    }

    [Fact]
    public void Train_out_and_plot_naming_a_data_file_or_each_other_through_a_link_are_refused()
    {
        // The files only have to exist: the check runs before they are read.
        string mnist = Directory.CreateDirectory(Path.Combine(_dir, "td", "mnist")).FullName;
        foreach (string name in new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
        {
            File.WriteAllBytes(Path.Combine(mnist, name), [1, 2, 3]);
        }

        Directory.CreateSymbolicLink(Path.Combine(_dir, "alias"), mnist);

        var outData = CliRunner.Run(_dir, "train", "--data", "td", "--iterations", "5", "--out", "alias/train-images-idx3-ubyte.gz");
        var plotData = CliRunner.Run(_dir, "train", "--data", "td", "--iterations", "5", "--plot", "td/mnist/t10k-labels-idx1-ubyte.gz");
        File.CreateSymbolicLink(Path.Combine(_dir, "curve.png"), Path.Combine(_dir, "m.safetensors"));
        var plotModel = CliRunner.Run(_dir, "train", "--data", "td", "--iterations", "5", "--out", "m.safetensors", "--plot", "curve.png");

        AssertRefused(outData, $"--out alias/train-images-idx3-ubyte.gz is the same file as the train images ({Path.Combine(mnist, "train-images-idx3-ubyte.gz")}), which this command reads: writing would overwrite it; give another file name.");
        AssertRefused(plotData, $"--plot td/mnist/t10k-labels-idx1-ubyte.gz is the same file as the test labels ({Path.Combine(mnist, "t10k-labels-idx1-ubyte.gz")}), which this command reads: writing would overwrite it; give another file name.");
        AssertRefused(plotModel, "--out and --plot name the same file (m.safetensors): the picture would replace the model.");
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(mnist, "train-images-idx3-ubyte.gz")));
    }

    [Fact]
    public void Convert_output_reaching_the_input_through_a_linked_folder_is_refused()
    {
        string w = Weights();
        byte[] before = File.ReadAllBytes(w);
        Directory.CreateSymbolicLink(Path.Combine(_dir, "same"), _dir);

        var r = CliRunner.Run(_dir, "convert", "w.pkl", "same/w.pkl");

        AssertRefused(r, "OUTPUT same/w.pkl is the same file as INPUT, the weights file (w.pkl), which this command reads: writing would overwrite it; give another file name.");
        Assert.Equal(before, File.ReadAllBytes(w));
    }

    [Fact]
    public void The_librarys_convert_refuses_to_write_over_its_pickle()
    {
        string w = Weights();
        byte[] before = File.ReadAllBytes(w);
        File.CreateSymbolicLink(Path.Combine(_dir, "out.safetensors"), w);

        var e = Assert.Throws<ArgumentException>(() => DeepScratch.Models.ModelFile.Convert(w, Path.Combine(_dir, "out.safetensors")));

        Assert.StartsWith($"{Path.Combine(_dir, "out.safetensors")} is the pickle being converted ({w})", e.Message);
        Assert.Equal(before, File.ReadAllBytes(w));
    }

    [Fact]
    public void A_pickle_referencing_one_array_20000_times_is_refused_by_convert_and_inspect_without_writing()
    {
        File.WriteAllBytes(Path.Combine(_dir, "rep_dict.pkl"), SharedArrayCostTests.SharedArrayPickle(references: 20_000));
        Directory.CreateDirectory(Path.Combine(_dir, "rd"));

        var convert = CliRunner.Run(_dir, "convert", "rep_dict.pkl", "rd/out.safetensors");
        var inspect = CliRunner.Run(_dir, "inspect", "rep_dict.pkl");

        foreach (var r in new[] { convert, inspect })
        {
            Assert.Equal(3, r.ExitCode);
            Assert.Contains("rep_dict.pkl: its arrays add up to more than", Assert.Single(r.StderrLines));
            Assert.Contains("one stored array referenced many times?", r.Stderr);
        }

        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dir, "rd")));
    }

    [Fact]
    public void Convert_notes_escape_the_array_names_the_file_chose()
    {
        byte[] pickle = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT)
            .Str("W1\u001b[2J").NdArray([2], "f8", [.. BitConverter.GetBytes(1.5), .. BitConverter.GetBytes(-2.0)]).Op(PickleOpcode.SETITEM)
            .Stop().ToArray();
        File.WriteAllBytes(Path.Combine(_dir, "esc2.pkl"), pickle);

        var r = CliRunner.Run(_dir, "convert", "esc2.pkl", "x.safetensors");

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain('\u001b', r.Stderr + r.Stdout);
        Assert.Equal(
            [
                @"deepscratch: note: esc2.pkl holds none of the book's networks (it has W1\x1b[2J): its arrays are converted, but eval and predict cannot use the result.",
                @"deepscratch: note: 1 float64 array is stored as float32 (W1\x1b[2J), the type DeepScratch computes in.",
            ],
            r.StderrLines);
    }

    [Fact]
    public void A_convert_note_lists_at_most_32_names()
    {
        var builder = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT);
        for (int i = 0; i < 40; i++)
        {
            builder.Str($"a{i}").NdArray([1], "f4", PickleBuilder.Float32Bytes(i)).Op(PickleOpcode.SETITEM);
        }

        string path = Path.Combine(_dir, "many.pkl");
        File.WriteAllBytes(path, builder.Stop().ToArray());

        var result = DeepScratch.Models.ModelFile.Convert(path, Path.Combine(_dir, "many.safetensors"));

        string names = string.Join(", ", Enumerable.Range(0, 32).Select(i => $"a{i}"));
        Assert.Equal($"many.pkl holds none of the book's networks (it has {names} and 8 more): its arrays are converted, but eval and predict cannot use the result.",
            Assert.Single(result.Notes));
    }

    [Fact]
    public void Fashion_images_in_the_data_folder_are_not_scored_against_another_folders_labels()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "fd", "fashion-mnist")).FullName;
        File.Copy(Path.Combine(TestData.Dir, "mnist", "t10k-images-idx3-ubyte.gz"), Path.Combine(folder, "t10k-images-idx3-ubyte.gz"));
        Weights();

        var r = CliRunner.Run(_dir, "eval", "--weights", "w.pkl", "--dataset", "fashion-mnist", "--data", "fd");

        Assert.Equal(3, r.ExitCode);
        Assert.StartsWith($"deepscratch: error: missing {Path.Combine(folder, "t10k-labels-idx1-ubyte.gz")} (data folder from --data); downloads are off", Assert.Single(r.StderrLines));
        Assert.DoesNotContain("Accuracy", r.Stdout);
    }

    [Fact]
    public void Train_on_an_empty_folder_names_all_four_files_in_one_line()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "e"));

        var r = CliRunner.Run(_dir, "train", "--data", "e", "--iterations", "5");

        Assert.Equal(3, r.ExitCode);
        string[] names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];
        Assert.StartsWith($"deepscratch: error: missing {string.Join(", ", names.Select(n => Path.Combine(_dir, "e", "mnist", n)))} (data folder from --data)",
            Assert.Single(r.StderrLines));
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("predict")]
    public void A_bad_weights_file_is_reported_before_missing_data(string command)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "e"));
        File.WriteAllText(Path.Combine(_dir, "html.pkl"), "<!DOCTYPE html>\n<html><body>Not Found</body></html>\n");
        string[] args = command == "eval" ? ["eval"] : ["predict", "0"];

        var r = CliRunner.Run(_dir, [.. args, "--weights", "html.pkl", "--data", "e"]);

        Assert.Equal(3, r.ExitCode);
        Assert.Equal("deepscratch: error: html.pkl: the file is an HTML page (a download error page?), not a numpy pickle or safetensors weights file: download the file again.",
            Assert.Single(r.StderrLines));
    }
}
