// Merged into @jupyterlab/builder's webpack config (package.json jupyterlab.webpackConfig). plotly.js-dist-min
// ships minified: parsing and minifying it again is most of the build's time and gains nothing, so its chunk is
// named (see charts/plotlyLoader.ts) and left out of both.
const TerserPlugin = require('terser-webpack-plugin');

module.exports = {
  output: { chunkFilename: '[name].[contenthash].js' },
  module: { noParse: /plotly\.min\.js$/ },
  optimization: {
    chunkIds: 'named',
    minimizer: [new TerserPlugin({ exclude: /plotly/ })],
  },
};
