//! The only globals a pickle may name. A pickle refers to classes and
//! functions by `module.name`; Python's unpickler imports and calls them,
//! which is how a pickle runs arbitrary code. This reader resolves a name
//! only if it is on this list, and even then never calls it: the name just
//! labels the recorded data. Every other name is refused where it appears.

use std::fmt;

macro_rules! whitelist {
    ($($variant:ident => $module:literal, $name:literal;)*) => {
        /// A class or function on the whitelist.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Global {
            $($variant,)*
        }

        const ENTRIES: &[(Global, &str, &str)] = &[$((Global::$variant, $module, $name),)*];
    };
}

whitelist! {
    // numpy arrays, dtypes and scalars (numpy 1.x and 2.x module names).
    Ndarray => "numpy", "ndarray";
    Dtype => "numpy", "dtype";
    Reconstruct => "numpy.core.multiarray", "_reconstruct";
    Reconstruct2 => "numpy._core.multiarray", "_reconstruct";
    Scalar => "numpy.core.multiarray", "scalar";
    Scalar2 => "numpy._core.multiarray", "scalar";
    FromBuffer => "numpy.core.numeric", "_frombuffer";
    FromBuffer2 => "numpy._core.numeric", "_frombuffer";
    // Random generator state kept by some estimators (`random_state`).
    RandomStateCtor => "numpy.random._pickle", "__randomstate_ctor";
    GeneratorCtor => "numpy.random._pickle", "__generator_ctor";
    BitGeneratorCtor => "numpy.random._pickle", "__bit_generator_ctor";
    Mt19937 => "numpy.random._mt19937", "MT19937";
    Pcg64 => "numpy.random._pcg64", "PCG64";
    SeedSequence => "numpy.random.bit_generator", "SeedSequence";
    UnpickleSeedSequence => "numpy.random.bit_generator", "__pyx_unpickle_SeedSequence";
    // Python's own data constructors.
    CodecsEncode => "_codecs", "encode";
    Bytes => "__builtin__", "bytes";
    BytesPy3 => "builtins", "bytes";
    ByteArray => "builtins", "bytearray";
    Reconstructor => "copyreg", "_reconstructor";
    Object => "builtins", "object";
    // joblib's placeholder for an array stored after the pickle opcodes.
    NumpyArrayWrapper => "joblib.numpy_pickle", "NumpyArrayWrapper";
    // scikit-learn estimators and their parts.
    DecisionTreeClassifier => "sklearn.tree._classes", "DecisionTreeClassifier";
    DecisionTreeRegressor => "sklearn.tree._classes", "DecisionTreeRegressor";
    ExtraTreeClassifier => "sklearn.tree._classes", "ExtraTreeClassifier";
    ExtraTreeRegressor => "sklearn.tree._classes", "ExtraTreeRegressor";
    Tree => "sklearn.tree._tree", "Tree";
    RandomForestClassifier => "sklearn.ensemble._forest", "RandomForestClassifier";
    RandomForestRegressor => "sklearn.ensemble._forest", "RandomForestRegressor";
    ExtraTreesClassifier => "sklearn.ensemble._forest", "ExtraTreesClassifier";
    ExtraTreesRegressor => "sklearn.ensemble._forest", "ExtraTreesRegressor";
    GradientBoostingClassifier => "sklearn.ensemble._gb", "GradientBoostingClassifier";
    GradientBoostingRegressor => "sklearn.ensemble._gb", "GradientBoostingRegressor";
    HistGradientBoostingClassifier => "sklearn.ensemble._hist_gradient_boosting.gradient_boosting", "HistGradientBoostingClassifier";
    HistGradientBoostingRegressor => "sklearn.ensemble._hist_gradient_boosting.gradient_boosting", "HistGradientBoostingRegressor";
    TreePredictor => "sklearn.ensemble._hist_gradient_boosting.predictor", "TreePredictor";
    BinMapper => "sklearn.ensemble._hist_gradient_boosting.binning", "_BinMapper";
    DummyClassifier => "sklearn.dummy", "DummyClassifier";
    DummyRegressor => "sklearn.dummy", "DummyRegressor";
    LabelEncoder => "sklearn.preprocessing._label", "LabelEncoder";
    // Loss objects (sklearn >= 1.1) and their compiled halves.
    HalfSquaredError => "sklearn._loss.loss", "HalfSquaredError";
    AbsoluteError => "sklearn._loss.loss", "AbsoluteError";
    PinballLoss => "sklearn._loss.loss", "PinballLoss";
    HuberLoss => "sklearn._loss.loss", "HuberLoss";
    HalfPoissonLoss => "sklearn._loss.loss", "HalfPoissonLoss";
    HalfGammaLoss => "sklearn._loss.loss", "HalfGammaLoss";
    HalfBinomialLoss => "sklearn._loss.loss", "HalfBinomialLoss";
    HalfMultinomialLoss => "sklearn._loss.loss", "HalfMultinomialLoss";
    ExponentialLoss => "sklearn._loss.loss", "ExponentialLoss";
    // Gradient boosting losses of scikit-learn 1.1 to 1.3.
    GbLeastSquaresError => "sklearn.ensemble._gb_losses", "LeastSquaresError";
    GbLeastAbsoluteError => "sklearn.ensemble._gb_losses", "LeastAbsoluteError";
    GbHuberLossFunction => "sklearn.ensemble._gb_losses", "HuberLossFunction";
    GbQuantileLossFunction => "sklearn.ensemble._gb_losses", "QuantileLossFunction";
    GbBinomialDeviance => "sklearn.ensemble._gb_losses", "BinomialDeviance";
    GbMultinomialDeviance => "sklearn.ensemble._gb_losses", "MultinomialDeviance";
    GbExponentialLoss => "sklearn.ensemble._gb_losses", "ExponentialLoss";
    IdentityLink => "sklearn._loss.link", "IdentityLink";
    LogLink => "sklearn._loss.link", "LogLink";
    LogitLink => "sklearn._loss.link", "LogitLink";
    HalfLogitLink => "sklearn._loss.link", "HalfLogitLink";
    MultinomialLogit => "sklearn._loss.link", "MultinomialLogit";
    Interval => "sklearn._loss.link", "Interval";
    CyHalfSquaredError => "_loss", "CyHalfSquaredError";
    CyAbsoluteError => "_loss", "CyAbsoluteError";
    CyPinballLoss => "_loss", "CyPinballLoss";
    CyHuberLoss => "_loss", "CyHuberLoss";
    CyHalfPoissonLoss => "_loss", "CyHalfPoissonLoss";
    CyHalfGammaLoss => "_loss", "CyHalfGammaLoss";
    CyHalfBinomialLoss => "_loss", "CyHalfBinomialLoss";
    CyHalfMultinomialLoss => "_loss", "CyHalfMultinomialLoss";
    CyExponentialLoss => "_loss", "CyExponentialLoss";
    UnpickleCyPinballLoss => "_loss", "__pyx_unpickle_CyPinballLoss";
    UnpickleCyHuberLoss => "_loss", "__pyx_unpickle_CyHuberLoss";
    UnpickleCyHalfMultinomialLoss => "_loss", "__pyx_unpickle_CyHalfMultinomialLoss";
    UnpickleCyHalfSquaredError => "_loss", "__pyx_unpickle_CyHalfSquaredError";
    UnpickleCyAbsoluteError => "_loss", "__pyx_unpickle_CyAbsoluteError";
    UnpickleCyHalfPoissonLoss => "_loss", "__pyx_unpickle_CyHalfPoissonLoss";
    UnpickleCyHalfGammaLoss => "_loss", "__pyx_unpickle_CyHalfGammaLoss";
    UnpickleCyHalfBinomialLoss => "_loss", "__pyx_unpickle_CyHalfBinomialLoss";
    UnpickleCyExponentialLoss => "_loss", "__pyx_unpickle_CyExponentialLoss";
}

impl Global {
    /// The whitelisted global called `module.name`, if there is one.
    pub fn resolve(module: &str, name: &str) -> Option<Global> {
        // The compiled loss module is pickled as `_loss` by scikit-learn
        // >= 1.4 and as `sklearn._loss._loss` before.
        let module = if module == "sklearn._loss._loss" {
            "_loss"
        } else {
            module
        };
        ENTRIES
            .iter()
            .find(|(_, m, n)| *m == module && *n == name)
            .map(|(g, _, _)| *g)
    }

    /// `(module, name)` as the pickle spells it.
    pub fn path(self) -> (&'static str, &'static str) {
        ENTRIES
            .iter()
            .find(|(g, _, _)| *g == self)
            .map_or(("?", "?"), |(_, m, n)| (*m, *n))
    }

    /// Classes `copyreg._reconstructor` may rebuild: the estimators and
    /// their parts, never a function.
    pub fn is_reconstructible_class(self) -> bool {
        let (module, name) = self.path();
        (module.starts_with("sklearn.") || module == "_loss")
            && !name.starts_with("__pyx_unpickle")
            && !name.starts_with('_')
            || self == Global::BinMapper
    }
}

impl fmt::Display for Global {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (m, n) = self.path();
        write!(f, "{m}.{n}")
    }
}
