
/* The Jupyter widget (anywidget): stepthrough.js's view, with the frame kept in the widget's
   `step` trait both ways. Appended to stepthrough.js to make the widget's ES module. */
export default {
  render({ model, el }) {
    el.classList.add("mg-embedded");
    const controller = window.MicrogradSteps.mount(el, JSON.parse(model.get("data")), {
      start: model.get("step"),
      onStep(k) {
        if (model.get("step") !== k) {
          model.set("step", k);
          model.save_changes();
        }
      },
    });
    const follow = () => {
      if (controller.step !== model.get("step")) controller.go(model.get("step"));
    };
    model.on("change:step", follow);
    return () => {
      model.off("change:step", follow);
      controller.destroy();
    };
  },
};
