using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using DeepScratch.Serialization;
using DeepScratch.Tests.Serialization;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// Issue 7 items 4, 12, 15, 16 and 8 (inspect) through the real <c>deepscratch</c>: what a user sees for files that are
/// something else, hostile names, damaged values, empty shapes and killed saves.
/// </summary>
public sealed class ReaderCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-reader-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Inspect_escapes_control_characters_and_bidi_overrides_in_names_and_metadata()
    {
        string path = Path.Combine(_dir, "evil.safetensors");
        SafeTensors.Save(path,
            [KeyValuePair.Create("\u001b[2J\rW1\u0007\u202e", Tensor.FromValues(1f, 2f)), KeyValuePair.Create("b\u009b1", Tensor.FromValues(3f))],
            new Dictionary<string, string> { ["note\u001b]0;x\u0007"] = "fake row\r\nW9  (1,)  F32" });

        var r = CliRunner.Run(_dir, "inspect", path);

        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (char c in "\u001b\r\u0007\u202e\u009b")
        {
            Assert.DoesNotContain(c, r.Stdout);
        }

        Assert.Contains(@"\x1b[2J\rW1\x07\u202e  (2,)", r.Stdout);
        Assert.Contains(@"b\x9b1", r.Stdout);
        Assert.Contains(@"note\x1b]0;x\x07  fake row\r\nW9  (1,)  F32", r.Stdout);
    }

    [Fact]
    public void Error_lines_escape_control_characters_whatever_their_source()
    {
        string path = "a\u001b[2Jb.pkl"; // relative to the working folder
        byte[] pickle = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Str("W\u001b[31m1").None().Op(PickleOpcode.SETITEM).Stop().ToArray();
        File.WriteAllBytes(Path.Combine(_dir, "names.pkl"), pickle);

        var missing = CliRunner.Run(_dir, "inspect", path);
        var named = CliRunner.Run(_dir, "inspect", "names.pkl");

        Assert.Equal(3, missing.ExitCode);
        Assert.Equal("deepscratch: error: FILE: file not found: a\\x1b[2Jb.pkl", Assert.Single(missing.StderrLines));
        Assert.Equal(3, named.ExitCode);
        Assert.Contains(@"'W\x1b[31m1' is None, not a numpy array", Assert.Single(named.StderrLines));
        Assert.DoesNotContain('\u001b', named.Stderr + missing.Stderr);
    }

    [Fact]
    public void Inspect_shows_a_safetensors_models_metadata()
    {
        string path = Path.Combine(_dir, "model.safetensors");
        SafeTensors.Save(path, [KeyValuePair.Create("W1", Tensor.FromValues(0.5f))],
            new Dictionary<string, string> { ["model"] = "multi-layer", ["dataset"] = "fashion-mnist", ["accuracy"] = "0.8712" });

        var r = CliRunner.Run(_dir, "inspect", path);

        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Replace("\r", "").Split('\n');
        int at = Array.IndexOf(lines, "metadata:");
        Assert.True(at > 0, r.Stdout);
        Assert.Equal(["  model     multi-layer", "  dataset   fashion-mnist", "  accuracy  0.8712"], lines[(at + 1)..(at + 4)]);
    }

    [Fact]
    public void Inspect_counts_nan_and_inf_per_array_and_warns()
    {
        string path = Path.Combine(_dir, "damaged.safetensors");
        SafeTensors.Save(path,
        [
            KeyValuePair.Create("W1", Tensor.FromValues(1f, float.NaN, -3f, float.PositiveInfinity, float.NegativeInfinity)),
            KeyValuePair.Create("b1", Tensor.FromValues(0.25f, 0.5f)),
        ]);

        var r = CliRunner.Run(_dir, "inspect", path);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Matches(new Regex(@"^name\s+shape\s+dtype\s+order\s+min\s+max\s+sum\s+nan\s+inf$", RegexOptions.Multiline), r.Stdout);
        Assert.Matches(new Regex(@"^W1\s+\(5,\)\s+F32\s+C\s+-3\s+1\s+-2\s+1\s+2$", RegexOptions.Multiline), r.Stdout);
        Assert.Matches(new Regex(@"^b1\s+\(2,\)\s+F32\s+C\s+0\.25\s+0\.5\s+0\.75\s+0\s+0$", RegexOptions.Multiline), r.Stdout);
        Assert.Contains("warning: 1 of 2 arrays hold NaN or infinite values", r.Stdout);
    }

    [Fact]
    public void Inspect_of_clean_weights_has_no_nan_columns()
    {
        var r = CliRunner.Run(_dir, "inspect", TestData.Weights("sample_weight.pkl"));

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Matches(new Regex(@"^name\s+shape\s+dtype\s+order\s+min\s+max\s+sum$", RegexOptions.Multiline), r.Stdout);
        Assert.DoesNotContain("warning", r.Stdout);
    }

    [Fact]
    public void Inspect_of_a_folder_says_it_is_a_folder()
    {
        var r = CliRunner.Run(_dir, "inspect", _dir);

        Assert.Equal(3, r.ExitCode);
        Assert.Equal($"deepscratch: error: FILE: {_dir} is a folder, not a file.", Assert.Single(r.StderrLines));
    }

    [Fact]
    public void Inspect_help_names_both_formats()
    {
        var r = CliRunner.Run(_dir, "inspect", "--help");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("numpy pickle or safetensors", r.Stdout);
    }

    [Theory]
    [InlineData("inspect")]
    [InlineData("eval")]
    [InlineData("predict")]
    public void A_git_lfs_pointer_given_as_weights_is_one_line_and_exit_3(string command)
    {
        string path = Path.Combine(_dir, "model.safetensors");
        File.WriteAllText(path, "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n");
        string[] args = command switch
        {
            "inspect" => ["inspect", path],
            "predict" => ["predict", "0", "--weights", path, "--data", TestData.Dir],
            _ => [command, "--weights", path, "--data", TestData.Dir],
        };

        var r = CliRunner.Run(_dir, args);

        Assert.Equal(3, r.ExitCode);
        Assert.Equal($"deepscratch: error: {path}: the file is a Git LFS pointer, not a numpy pickle or safetensors weights file: fetch the real file (git lfs pull).",
            Assert.Single(r.StderrLines));
    }

    [Fact]
    public void An_empty_array_with_a_zero_last_dimension_is_exit_3_not_an_internal_error()
    {
        string path = Path.Combine(_dir, "empty.pkl");
        File.WriteAllBytes(path, new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Str("W1").NdArray([65536, 65536, 0], "f4", [])
            .Op(PickleOpcode.SETITEM).Stop().ToArray());

        var r = CliRunner.Run(_dir, "inspect", path);

        Assert.Equal(3, r.ExitCode);
        Assert.Contains("an empty array of shape (65536, 65536, 0)", Assert.Single(r.StderrLines));
    }

    [Fact]
    public void Killing_convert_repeatedly_leaves_the_output_intact_and_the_next_run_leaves_no_temporary()
    {
        string source = TestData.Weights("sample_weight.pkl");
        string output = Path.Combine(_dir, "out.safetensors");
        Assert.Equal(0, CliRunner.Run(_dir, "convert", source, output).ExitCode);
        byte[] good = File.ReadAllBytes(output);
        // A leftover as a killed save leaves it (the exact moment of a real kill cannot be chosen reliably).
        File.WriteAllBytes(Path.Combine(_dir, $".out.safetensors.{AtomicFileTests.DeadProcessId()}-{Guid.NewGuid():N}.tmp"), good[..100]);

        var random = new Random(15);
        for (int trial = 0; trial < 4; trial++)
        {
            KillDuring(_dir, TimeSpan.FromMilliseconds(random.Next(150, 900)), "convert", source, output);
            Assert.Equal(good, File.ReadAllBytes(output)); // whenever the kill came, the destination is whole
        }

        var r = CliRunner.Run(_dir, "convert", source, output);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(good, File.ReadAllBytes(output));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Sigterm_during_the_save_of_convert_leaves_no_temporary_and_the_old_output_intact()
    {
        // 24 MB of float32 in one array: the save takes long enough to be caught while the temporary file exists.
        string source = Path.Combine(_dir, "big.pkl");
        int count = 6_000_000;
        var values = new float[count];
        values.AsSpan().Fill(0.5f);
        File.WriteAllBytes(source, new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Str("W1")
            .NdArray([count], "f4", PickleBuilder.Float32Bytes(values)).Op(PickleOpcode.SETITEM).Stop().ToArray());
        string output = Path.Combine(_dir, "out.safetensors");
        File.WriteAllText(output, "the previous model");

        int caught = 0;
        for (int attempt = 0; attempt < 8 && caught < 2; attempt++)
        {
            using var process = Start(_dir, "convert", source, output);
            while (!process.HasExited && Directory.GetFiles(_dir, ".out.safetensors.*.tmp").Length == 0)
            {
                Thread.Sleep(1);
            }

            if (!process.HasExited)
            {
                using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
                {
                    kill.WaitForExit();
                }

                caught++;
            }

            Assert.True(process.WaitForExit(60_000));
            Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
            string content = File.ReadAllText(output);
            Assert.True(content == "the previous model" || SafeTensors.Load(output).Tensors["W1"].Length == count);
        }

        Assert.True(caught > 0, "the save was never caught in progress");
    }

    private static Process Start(string dir, params string[] args)
    {
        string cli = Path.GetFullPath(typeof(CliRunner).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "DeepScratchCli").Value!);
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(cli);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DEEPSCRATCH_OFFLINE"] = "1";
        return Process.Start(start)!;
    }

    /// <summary>Starts the CLI as <see cref="CliRunner"/> does and kills it (SIGKILL) after <paramref name="delay"/>.</summary>
    private static void KillDuring(string dir, TimeSpan delay, params string[] args)
    {
        using var process = Start(dir, args);
        if (!process.WaitForExit(delay))
        {
            process.Kill();
            process.WaitForExit();
        }
    }
}
