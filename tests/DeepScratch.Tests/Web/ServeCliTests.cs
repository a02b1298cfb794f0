using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepScratch.Models;
using DeepScratch.Tests.Cli;

namespace DeepScratch.Tests.Web;

/// <summary>
/// <c>deepscratch serve</c> run as a process, as a user runs it: the listening line, the networks it offers (the
/// book's from the data folder, then every --weights file, named uniquely), a clean stop with exit 0 on SIGINT and
/// SIGTERM, and one-line refusals: a port in use (exit 2), a bad --port (exit 2), a bad or unsuitable model (exit 3).
/// </summary>
public sealed partial class ServeCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-serve-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex(@"^Listening on (http://127\.0\.0\.1:(\d+)/) — Ctrl-C stops$")]
    private static partial Regex ListeningLine();

    /// <summary>Starts serve, waits for its listening line, and returns the process and the address.</summary>
    private Task<(Process Process, Uri Address, string Networks)> Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Start(string[])"/>, with extra environment variables.</summary>
    private async Task<(Process Process, Uri Address, string Networks)> Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = CliRunner.StartInfo(_dir, environment, ["serve", .. args]);
        // As the train signal test: a background job may inherit SIGINT ignored; give the CLI the default action back.
        start.ArgumentList.Insert(0, start.FileName);
        start.ArgumentList.Insert(0, "--default-signal=INT");
        start.FileName = "env";
        var process = Process.Start(start)!;
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        string? line = await process.StandardOutput.ReadLineAsync(wait.Token);
        if (line is null || ListeningLine().Match(line) is not { Success: true } match)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"no listening line: '{line}'; stderr: {await process.StandardError.ReadToEndAsync()}");
            throw new UnreachableException();
        }

        string networks = await process.StandardOutput.ReadLineAsync(wait.Token) ?? "";
        return (process, new Uri(match.Groups[1].Value), networks);
    }

    private static async Task<int> Stop(Process process, string signal, string expectedStderr = "")
    {
        using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.Equal(expectedStderr, await process.StandardError.ReadToEndAsync());
        return process.ExitCode;
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Serve_offers_the_book_networks_and_every_weights_file_and_stops_cleanly(string signal)
    {
        // A saved 784-50-10 model and a second sample_weight.pkl: named by file, the second made unique.
        string mlp = Path.Combine(_dir, "my_mlp.safetensors");
        ModelFile.Save(mlp, new MultiLayerNet(784, [50], 10));
        string copy = Path.Combine(Directory.CreateDirectory(Path.Combine(_dir, "copy")).FullName, "sample_weight.pkl");
        File.Copy(TestData.Weights("sample_weight.pkl"), copy);
        var (process, address, networks) = await Start("--port", "0", "--data", TestData.Dir, "--weights", mlp, "--weights", copy);
        using (process)
        try
        {
            Assert.NotEqual(0, address.Port);
            Assert.Equal("Networks: deep_convnet_params, params, sample_weight, my_mlp, sample_weight-2 (default deep_convnet_params)", networks);
            using var client = new HttpClient { BaseAddress = address };
            using var document = JsonDocument.Parse(await client.GetStringAsync("/api/models"));
            Assert.Equal(["deep_convnet_params", "params", "sample_weight", "my_mlp", "sample_weight-2"],
                document.RootElement.GetProperty("models").EnumerateArray().Select(e => e.GetString()));
            var (images, _) = WebServerFixture.TestImages(1);
            var (status, body) = await WebServerFixture.Send(client, new HttpRequestMessage(HttpMethod.Post, "/api/predict")
            {
                Content = WebServerFixture.Json(WebServerFixture.PixelsJson(WebServerFixture.Normalised(images[0]), "sample_weight-2")),
            });
            Assert.Equal(200, status);
            Assert.Equal(7, body.GetProperty("predicted").GetInt32());
            Assert.Equal(0, await Stop(process, signal));
        }
        finally
        {
            // A failed assertion must not leave the server running after the test.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task<bool> Connects(IPAddress address, int port)
    {
        using var client = new TcpClient(address.AddressFamily);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.ConnectAsync(address, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Endpoints_from_the_environment_add_no_listener_and_serve_stays_on_127_0_0_1()
    {
        int urls = FreePort(), kestrel = FreePort(), ports = FreePort();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://0.0.0.0:{urls}",
            ["DOTNET_URLS"] = $"http://0.0.0.0:{urls}",
            ["ASPNETCORE_HTTP_PORTS"] = ports.ToString(CultureInfo.InvariantCulture),
            ["Kestrel__Endpoints__Other__Url"] = $"http://0.0.0.0:{kestrel}",
            ["ASPNETCORE_Kestrel__Endpoints__Other2__Url"] = $"http://0.0.0.0:{kestrel}",
            ["ASPNETCORE_PREFERHOSTINGURLS"] = "true",
        };
        var (process, address, _) = await Start(environment, "--port", "0", "--data", TestData.Dir);
        using (process)
        try
        {
            Assert.Equal("127.0.0.1", address.Host);
            Assert.True(await Connects(IPAddress.Loopback, address.Port));
            // A 0.0.0.0 listener would accept on 127.0.0.1 too: none of the environment's ports may answer.
            foreach (int port in (int[])[urls, kestrel, ports])
            {
                Assert.False(await Connects(IPAddress.Loopback, port), $"something listens on port {port}");
            }

            // Nor may the server's own port answer on any other address of this machine (none when it has only lo).
            var others = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
                .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)).ToList();
            foreach (var other in others)
            {
                Assert.False(await Connects(other, address.Port), $"the server answers on {other}");
            }

            using var client = new HttpClient { BaseAddress = address };
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/models");
            request.Headers.Host = "evil.example";
            var (status, body) = await WebServerFixture.Send(client, request);
            Assert.Equal(400, status);
            Assert.Equal($"the Host header must be 127.0.0.1:{address.Port} or localhost:{address.Port}; got 'evil.example'.", body.GetProperty("error").GetString());
            Assert.Equal(0, await Stop(process, "INT"));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_and_exit_2()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var r = await Task.Run(() => CliRunner.Run(_dir, "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--data", TestData.Dir));
        Assert.True(r.ExitCode == 2, r.Stderr);
        Assert.Equal([$"deepscratch: error: port {port} on 127.0.0.1 is in use by another program: give another --port, or --port 0 for a free one."], r.StderrLines);
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData("70000", "--port must be from 0 to 65535 (0: any free port); got 70000.")]
    [InlineData("-1", "--port must be from 0 to 65535 (0: any free port); got -1.")]
    public void A_port_out_of_range_is_a_usage_mistake(string port, string message)
    {
        var r = CliRunner.Run(_dir, "serve", "--port", port, "--data", TestData.Dir);
        Assert.True(r.ExitCode == 2, r.Stderr);
        Assert.Equal([$"deepscratch: error: {message}"], r.StderrLines);
    }

    [Fact]
    public void A_weights_file_that_is_missing_or_not_a_model_stops_serve_with_exit_3()
    {
        string missing = Path.Combine(_dir, "nothing.pkl");
        var r = CliRunner.Run(_dir, "serve", "--port", "0", "--data", TestData.Dir, "--weights", missing);
        Assert.True(r.ExitCode == 3, r.Stderr);
        Assert.Equal([$"deepscratch: error: --weights: file not found: {missing}"], r.StderrLines);

        string junk = Path.Combine(_dir, "junk.safetensors");
        File.WriteAllText(junk, "this is not a model");
        r = CliRunner.Run(_dir, "serve", "--port", "0", "--data", TestData.Dir, "--weights", junk);
        Assert.True(r.ExitCode == 3, r.Stderr);
        Assert.Single(r.StderrLines);
        Assert.StartsWith($"deepscratch: error: {junk}", r.StderrLines[0]);
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData(100, 10, "takes 100 inputs and gives 10 classes")]
    [InlineData(784, 3, "takes 784 inputs and gives 3 classes")]
    public void A_network_that_is_not_a_28x28_digit_classifier_is_refused_at_start(int inputs, int classes, string what)
    {
        string path = Path.Combine(_dir, "other.safetensors");
        ModelFile.Save(path, new MultiLayerNet(inputs, [20], classes));
        var r = CliRunner.Run(_dir, "serve", "--port", "0", "--data", TestData.Dir, "--weights", path);
        Assert.True(r.ExitCode == 3, r.Stderr);
        Assert.Equal([$"deepscratch: error: {path}: serve needs a network of 28x28 inputs (784) and 10 classes; this one {what}."], r.StderrLines);
    }

    [Fact]
    public async Task Offline_with_some_book_networks_missing_serve_offers_the_others_and_names_the_missing_in_one_line()
    {
        // Only the chapter 3 network in the data folder (loose, as the book's scripts keep it); downloads are off (CliRunner).
        string data = Directory.CreateDirectory(Path.Combine(_dir, "data")).FullName;
        File.Copy(TestData.Weights("sample_weight.pkl"), Path.Combine(data, "sample_weight.pkl"));
        var (process, address, networks) = await Start("--port", "0", "--data", data);
        using (process)
        try
        {
            Assert.Equal("Networks: sample_weight (default sample_weight)", networks);
            using var client = new HttpClient { BaseAddress = address };
            using var document = JsonDocument.Parse(await client.GetStringAsync("/api/models"));
            Assert.Equal(["sample_weight"], document.RootElement.GetProperty("models").EnumerateArray().Select(e => e.GetString()));
            string weights = Path.Combine(data, "weights");
            Assert.Equal(0, await Stop(process, "INT",
                $"deepscratch: note: not offered: the book's deep_convnet_params.pkl, params.pkl (downloads are off); put them in {weights} or allow downloads (unset DEEPSCRATCH_OFFLINE) to add them.\n"));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Offline_with_no_book_network_serve_offers_the_weights_given_and_names_all_three()
    {
        string data = Directory.CreateDirectory(Path.Combine(_dir, "nothing")).FullName;
        string mlp = Path.Combine(_dir, "mine.safetensors");
        ModelFile.Save(mlp, new MultiLayerNet(784, [30], 10));
        var (process, _, networks) = await Start("--port", "0", "--data", data, "--weights", mlp);
        using (process)
        try
        {
            Assert.Equal("Networks: mine (default mine)", networks);
            Assert.Equal(0, await Stop(process, "TERM",
                $"deepscratch: note: not offered: the book's deep_convnet_params.pkl, params.pkl, sample_weight.pkl (downloads are off); put them in {Path.Combine(data, "weights")} or allow downloads (unset DEEPSCRATCH_OFFLINE) to add them.\n"));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task A_weights_file_the_data_folder_already_serves_is_offered_once_and_a_fashion_model_answers_with_class_names()
    {
        // The data folder's sample_weight.pkl, named again through a linked folder; a different file of the same name
        // (still "-2"); and a Fashion-MNIST model, its dataset recorded in its metadata as train writes it.
        string data = Directory.CreateDirectory(Path.Combine(_dir, "data")).FullName;
        File.Copy(TestData.Weights("sample_weight.pkl"), Path.Combine(data, "sample_weight.pkl"));
        string link = Path.Combine(_dir, "link");
        Directory.CreateSymbolicLink(link, data);
        string other = Path.Combine(Directory.CreateDirectory(Path.Combine(_dir, "other")).FullName, "sample_weight.pkl");
        File.Copy(TestData.Weights("sample_weight.pkl"), other);
        string fashion = Path.Combine(_dir, "fashion.safetensors");
        ModelFile.Save(fashion, new MultiLayerNet(784, [20], 10), new Dictionary<string, string> { [ModelFile.DatasetKey] = "fashion-mnist" });
        var (process, address, networks) = await Start("--port", "0", "--data", data,
            "--weights", Path.Combine(data, "sample_weight.pkl"), "--weights", Path.Combine(link, "sample_weight.pkl"), "--weights", other, "--weights", fashion);
        using (process)
        try
        {
            Assert.Equal("Networks: sample_weight, sample_weight-2, fashion (default sample_weight)", networks);
            using var client = new HttpClient { BaseAddress = address };
            using var document = JsonDocument.Parse(await client.GetStringAsync("/api/models"));
            Assert.Equal(["sample_weight", "sample_weight-2", "fashion"], document.RootElement.GetProperty("models").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["mnist", "mnist", "fashion-mnist"], document.RootElement.GetProperty("datasets").EnumerateArray().Select(e => e.GetString()));

            // Fashion-MNIST's classes as Xiao et al. publish them, by label.
            string[] classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
            var (images, _) = WebServerFixture.TestImages(5);
            foreach (var image in images)
            {
                var (status, body) = await WebServerFixture.Send(client, new HttpRequestMessage(HttpMethod.Post, "/api/predict")
                {
                    Content = WebServerFixture.Json(WebServerFixture.PixelsJson(WebServerFixture.Normalised(image), "fashion")),
                });
                Assert.Equal(200, status);
                var p = body.GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                int predicted = body.GetProperty("predicted").GetInt32();
                Assert.Equal(Array.IndexOf(p, p.Max()), predicted);
                Assert.Equal(classes[predicted], body.GetProperty("label").GetString());
            }

            var (status2, digit) = await WebServerFixture.Send(client, new HttpRequestMessage(HttpMethod.Post, "/api/predict")
            {
                Content = WebServerFixture.Json(WebServerFixture.PixelsJson(WebServerFixture.Normalised(images[0]), "sample_weight-2")),
            });
            Assert.Equal(200, status2);
            Assert.Equal("7", digit.GetProperty("label").GetString());
            Assert.Equal(0, await Stop(process, "INT",
                $"deepscratch: note: not offered: the book's deep_convnet_params.pkl, params.pkl (downloads are off); put them in {Path.Combine(data, "weights")} or allow downloads (unset DEEPSCRATCH_OFFLINE) to add them.\n"));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public void With_no_network_in_the_data_folder_and_no_network_access_serve_says_what_is_missing()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        var r = CliRunner.Run(_dir, "serve", "--port", "0", "--data", empty);
        Assert.True(r.ExitCode == 3, r.Stderr);
        Assert.Single(r.StderrLines);
        Assert.Contains("sample_weight.pkl", r.StderrLines[0]);
        Assert.Equal("", r.Stdout);
    }
}
