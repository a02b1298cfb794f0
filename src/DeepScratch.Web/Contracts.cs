using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepScratch.Web;

/// <summary>The answer of <c>GET /api/models</c>.</summary>
/// <param name="Models">The networks' names, in the page's order.</param>
/// <param name="Default">The name used when a request names no model.</param>
/// <param name="Descriptions">One line about each network (same order as <paramref name="Models"/>).</param>
/// <param name="Datasets">The dataset each network was trained on, "mnist" or "fashion-mnist" (same order).</param>
public sealed record ModelsAnswer(
    [property: JsonPropertyName("models")] IReadOnlyList<string> Models,
    [property: JsonPropertyName("default")] string Default,
    [property: JsonPropertyName("descriptions")] IReadOnlyList<string> Descriptions,
    [property: JsonPropertyName("datasets")] IReadOnlyList<string> Datasets);

/// <summary>The answer of <c>POST /api/predict</c>.</summary>
/// <param name="Model">The network that answered.</param>
/// <param name="Predicted">The most probable class, 0-9.</param>
/// <param name="Label">The predicted class's name: the digit ("7") for MNIST, the name ("Ankle boot") for Fashion-MNIST.</param>
/// <param name="Probabilities">The ten class probabilities (softmax outputs, summing to 1).</param>
/// <param name="Input">For an image body: the 784 values in [0, 1] (28x28, row by row) the network received; else null (left out).</param>
public sealed record PredictAnswer(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("predicted")] int Predicted,
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("probabilities")] float[] Probabilities,
    [property: JsonPropertyName("input"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float[]? Input);

/// <summary>The body of every 4xx/5xx answer.</summary>
/// <param name="Error">One readable line.</param>
public sealed record ErrorAnswer([property: JsonPropertyName("error")] string Error);

/// <summary>The source-generated serializers of the answers (no reflection: the CLI is published with Native AOT).</summary>
[JsonSerializable(typeof(ModelsAnswer))]
[JsonSerializable(typeof(PredictAnswer))]
[JsonSerializable(typeof(ErrorAnswer))]
internal sealed partial class WebJson : JsonSerializerContext
{
    /// <summary>The answers' serializers, escaping only what JSON requires (quotes as \", not \u0022): the body is never HTML.</summary>
    public static WebJson Relaxed { get; } = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
