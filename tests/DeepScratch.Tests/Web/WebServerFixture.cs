using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DeepScratch.Data;
using DeepScratch.Web;

namespace DeepScratch.Tests.Web;

/// <summary>
/// The draw-a-digit server started in the test process on a free port (port 0) with the book's three networks from
/// the real data folder, most accurate first, as <c>deepscratch serve</c> lists them; shared by a test class.
/// </summary>
public sealed class WebServerFixture : IAsyncLifetime
{
    /// <summary>The book's weight files in serve's order (Catalog.BookWeightsByAccuracy): deep CNN, simple CNN, MLP.</summary>
    public static readonly string[] BookFiles = ["deep_convnet_params.pkl", "params.pkl", "sample_weight.pkl"];

    public ServedModels Models { get; private set; } = null!;

    public DigitServer Server { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Models = ServedModels.Load([.. BookFiles.Select(TestData.Weights)]);
        Server = await DigitServer.StartAsync(Models, 0);
        Client = new HttpClient { BaseAddress = Server.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
    }

    /// <summary>The first <paramref name="count"/> MNIST test images (raw bytes) and labels, read from the real files.</summary>
    public static (byte[][] Images, byte[] Labels) TestImages(int count)
    {
        using var reader = MnistReader.Open(TestData.Mnist("t10k-images-idx3-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz"));
        var images = new byte[count][];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            (images[i], labels[i]) = reader.ReadExample(i);
        }

        return (images, labels);
    }

    /// <summary>A JSON body {"pixels": [...], "model": ...} with the pixels as pixel / 255, written by hand (not by the server's serializer).</summary>
    public static string PixelsJson(IEnumerable<double> pixels, string? model = null)
    {
        var text = new StringBuilder("{\"pixels\": [");
        text.AppendJoin(", ", pixels.Select(p => p.ToString("R", CultureInfo.InvariantCulture)));
        text.Append(']');
        if (model is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $", \"model\": \"{model}\"");
        }

        return text.Append('}').ToString();
    }

    public static double[] Normalised(byte[] image) => [.. image.Select(b => b / 255.0)];

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static ByteArrayContent Body(byte[] bytes, string? contentType)
    {
        var content = new ByteArrayContent(bytes);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return content;
    }

    /// <summary>The answer's status and parsed JSON body (the body must be JSON).</summary>
    public static async Task<(int Status, JsonElement Body)> Send(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"{(int)response.StatusCode} answer is not JSON: {response.Content.Headers.ContentType} {text}");
        using var document = JsonDocument.Parse(text);
        return ((int)response.StatusCode, document.RootElement.Clone());
    }

    public Task<(int Status, JsonElement Body)> Post(string path, HttpContent content) =>
        Send(Client, new HttpRequestMessage(HttpMethod.Post, path) { Content = content });
}
