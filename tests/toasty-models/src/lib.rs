//! Compiles the generated toasty models of every plugin and has toasty build its schema
//! from them, for each dialect.

include!(concat!(env!("OUT_DIR"), "/generated.rs"));

#[cfg(test)]
mod tests {
    #[test]
    fn postgres_models_build_a_toasty_schema() {
        super::postgres::build_schema().expect("toasty accepts the models");
    }

    #[test]
    fn mysql_models_build_a_toasty_schema() {
        super::mysql::build_schema().expect("toasty accepts the models");
    }

    #[test]
    fn each_plugin_alone_builds_a_toasty_schema() {
        super::per_plugin::build_all().expect("toasty accepts every plugin's models alone");
    }

    #[test]
    fn sqlite_models_build_a_toasty_schema() {
        super::sqlite::build_schema().expect("toasty accepts the models");
    }
}
