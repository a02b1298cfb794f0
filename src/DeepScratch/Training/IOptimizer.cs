using DeepScratch.Layers;

namespace DeepScratch.Training;

/// <summary>An update rule of chapter 6: moves each parameter against its gradient.</summary>
public interface IOptimizer
{
    /// <summary>The step size (the book's <c>lr</c>) this optimizer uses, whether given or its default.</summary>
    double LearningRate { get; }

    /// <summary>Updates every parameter's <see cref="Parameter.Value"/> in place from its <see cref="Parameter.Grad"/>.</summary>
    void Update(IReadOnlyList<Parameter> parameters);
}
