use plotters::prelude::*;
fn main() {
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (640, 360)).into_drawing_area();
        root.fill(&WHITE).unwrap();
        let mut c = ChartBuilder::on(&root)
            .caption("GPU allocation", ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(0f64..100f64, 0f64..5f64)
            .unwrap();
        c.configure_mesh().x_desc("minutes").y_desc("GPUs").draw().unwrap();
        c.draw_series(LineSeries::new(
            (0..100).map(|x| (x as f64, (x as f64 / 30.0).sin() + 2.0)),
            &RED,
        ))
        .unwrap()
        .label("mistral")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
        c.configure_series_labels().border_style(BLACK).draw().unwrap();
        root.present().unwrap();
    }
    println!("{}", &s[..300]);
}
