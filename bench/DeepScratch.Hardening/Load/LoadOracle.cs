using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using DeepScratch.Data;

namespace DeepScratch.Hardening.Load;

/// <summary>One network the server offers: the name the API uses, its file, and the dataset its JSON inputs come from.</summary>
/// <param name="Name">The name in serve's "Networks:" line (the file name without extension).</param>
/// <param name="Path">The model file given to <c>serve --weights</c> and <c>predict --weights</c>.</param>
/// <param name="Dataset">The test set the JSON requests for this network take their images from.</param>
public sealed record LoadModel(string Name, string Path, DatasetKind Dataset);

/// <summary>The CLI's own answer for one input: the predicted class and the ten probabilities it printed (4 decimals).</summary>
/// <param name="Predicted">The class marked "&lt;- predicted".</param>
/// <param name="Probabilities">The ten printed probabilities.</param>
public sealed record CliAnswer(int Predicted, float[] Probabilities);

/// <summary>
/// One valid input with the CLI's answer for it: test-set image <paramref name="Index"/> of the network's dataset
/// (sent as JSON, answered by <c>deepscratch predict INDEX --weights FILE</c>) and the MNIST test digit
/// <paramref name="Index"/> written as a PNG (sent as image/png, answered by <c>deepscratch predict --image FILE.png
/// --weights FILE</c>).
/// </summary>
/// <param name="Model">The network.</param>
/// <param name="Index">The test-set index.</param>
/// <param name="Pixels">The 784 values in [0, 1] of the JSON request (bytes / 255, as predict INDEX normalises).</param>
/// <param name="Json">The CLI's answer for <paramref name="Pixels"/>.</param>
/// <param name="Png">The PNG body.</param>
/// <param name="Image">The CLI's answer for <paramref name="Png"/>.</param>
public sealed record OracleCase(LoadModel Model, int Index, float[] Pixels, CliAnswer Json, byte[] Png, CliAnswer Image);

/// <summary>
/// The expected answers, computed once before the load by the built CLI run as a child process (so the server is
/// compared with the command a user would run, not with its own code).
/// </summary>
public static partial class LoadOracle
{
    /// <summary>How far a served probability may be from the CLI's printed one: half the 4th decimal plus float rounding.</summary>
    public const double Tolerance = 0.5e-4 + 1e-6;

    [GeneratedRegex(@"^\s+(\d)\b.*│\s*([0-9]+\.[0-9]+)(\s+<- predicted)?\s*$")]
    private static partial Regex BarLine();

    /// <summary>
    /// Runs <c>predict</c> for <paramref name="perModel"/> seeded random test images of each model (twice: INDEX and
    /// --image), two CLI processes at a time.
    /// </summary>
    /// <param name="cli">The CLI's DeepScratch.Cli.dll (run with <c>dotnet</c>).</param>
    /// <param name="dataDir">A data folder holding mnist/ (and fashion-mnist/ when a model needs it).</param>
    /// <param name="models">The served networks.</param>
    /// <param name="perModel">Images per network.</param>
    /// <param name="seed">Chooses the images.</param>
    /// <param name="workDir">A scratch folder for the PNG files.</param>
    /// <exception cref="HarnessSetupException">A CLI run failed, ran too long or printed something unexpected.</exception>
    public static IReadOnlyList<OracleCase> Compute(string cli, string dataDir, IReadOnlyList<LoadModel> models, int perModel, int seed, string workDir)
    {
        var mnist = Mnist.Read(Path.Combine(dataDir, "mnist", "t10k-images-idx3-ubyte.gz"), Path.Combine(dataDir, "mnist", "t10k-labels-idx1-ubyte.gz"));
        var sets = new Dictionary<DatasetKind, MnistSet> { [DatasetKind.Mnist] = mnist };
        var work = new List<(LoadModel Model, int Index, float[] Pixels, byte[] Png, string PngPath)>();
        var random = new Random(seed);
        foreach (var model in models)
        {
            if (!sets.TryGetValue(model.Dataset, out var set))
            {
                string folder = Path.Combine(dataDir, Catalog.FolderName(model.Dataset));
                set = sets[model.Dataset] = Mnist.Read(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"));
            }

            for (int k = 0; k < perModel; k++)
            {
                int index = random.Next(set.Count);
                var pixels = set.Images.Image(index).ToArray().Select(b => b / 255f).ToArray();
                // In turn (over all networks, so even 2 images each cover them): the bare 28x28 digit, the page's 280x280
                // drawing, and photo-sized ones of 2 MP and 3.95 MP (under the server's 4 MP) that keep the decoders far
                // longer, for the decode queue.
                var png = Png.Gray(mnist.Images.Image(index).ToArray(), 28, 28, scale: (work.Count % 4) switch { 0 => 1, 1 => 10, 2 => 50, _ => 71 });
                string pngPath = Path.Combine(workDir, $"{model.Name}-{index}.png");
                File.WriteAllBytes(pngPath, png);
                work.Add((model, index, pixels, png, pngPath));
            }
        }

        var cases = new OracleCase[work.Count];
        Parallel.For(0, work.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var (model, index, pixels, png, pngPath) = work[i];
            var json = Predict(cli, workDir, "predict", index.ToString(CultureInfo.InvariantCulture), "--weights", model.Path, "--data", dataDir);
            var image = Predict(cli, workDir, "predict", "--image", pngPath, "--weights", model.Path, "--data", dataDir);
            cases[i] = new OracleCase(model, index, pixels, json, png, image);
        });
        return cases;
    }

    /// <summary>Runs one <c>deepscratch predict</c> and reads its bar chart.</summary>
    private static CliAnswer Predict(string cli, string workDir, params string[] args)
    {
        var (exit, stdout, stderr) = Cli.Run(cli, workDir, TimeSpan.FromSeconds(120), args);
        if (exit != 0)
        {
            throw new HarnessSetupException($"deepscratch {string.Join(' ', args)} exited {exit}: {stderr.Trim()}");
        }

        var p = new float[10];
        int predicted = -1, seen = 0;
        foreach (string line in stdout.Split('\n'))
        {
            if (BarLine().Match(line) is { Success: true } m)
            {
                int c = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                p[c] = float.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                seen++;
                if (m.Groups[3].Success)
                {
                    predicted = c;
                }
            }
        }

        if (seen != 10 || predicted < 0)
        {
            throw new HarnessSetupException($"deepscratch {string.Join(' ', args)} printed no bar chart of 10 classes:\n{stdout}");
        }

        return new CliAnswer(predicted, p);
    }
}
