using DeepScratch.Models;

namespace DeepScratch.Bench;

/// <summary>
/// The book's two CNNs as the product runs them: the pickle loaded by <see cref="ModelFile.Load(string)"/> (which
/// recognises SimpleConvNet / DeepConvNet from the arrays) and compiled by the library's inference engine, so the
/// benchmark times the same path as <c>deepscratch eval</c> and holds no copy of the architectures.
/// </summary>
internal static class BookCnnSteps
{
    public static InferenceEngine Simple(string data) => Compile(Path.Combine(data, "weights", "params.pkl"));

    public static InferenceEngine Deep(string data) => Compile(Path.Combine(data, "weights", "deep_convnet_params.pkl"));

    private static InferenceEngine Compile(string path) =>
        ModelFile.Load(path).CompileInference() ?? throw new InvalidOperationException($"{path}: the network has no compiled inference engine.");
}
